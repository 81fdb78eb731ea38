/** Follow one execution live over the SSE endpoint (GET /api/executions/{id}/events). */
import { useEffect, useMemo, useReducer } from 'react';
import { executionEventsUrl } from '../api/endpoints';
import type { Execution, ExecutionEvent, JsonValue, NodeLog, NodeRunStatus } from '../api/types';

export interface ExecutionState {
  execution: Execution | null;
  logs: Map<string, NodeLog>;
  finished: boolean;
  connected: boolean;
}

type Action = ExecutionEvent | { type: 'reset' } | { type: 'connected'; value: boolean };

const initial: ExecutionState = { execution: null, logs: new Map(), finished: false, connected: false };
const logKey = (log: NodeLog) => `${log.node_id}|${log.attempt}|${log.item_index ?? ''}`;
const FINAL = new Set(['success', 'failed', 'canceled']);

export function executionReducer(state: ExecutionState, action: Action): ExecutionState {
  switch (action.type) {
    case 'reset':
      return initial;
    case 'connected':
      return { ...state, connected: action.value };
    case 'snapshot':
      return {
        ...state,
        execution: action.execution,
        logs: new Map(action.logs.map((log) => [logKey(log), log])),
        finished: FINAL.has(action.execution.status),
      };
    case 'node': {
      const logs = new Map(state.logs);
      logs.set(logKey(action.log), action.log);
      return { ...state, logs };
    }
    case 'execution':
      return { ...state, execution: action.execution, finished: FINAL.has(action.execution.status) };
    case 'end':
      return { ...state, finished: true, connected: false };
    default:
      return state;
  }
}

export interface NodeRun {
  status: NodeRunStatus;
  /** The latest attempt of the node itself (item_index null), else of its items. */
  latest: NodeLog;
  attempts: NodeLog[];
  items: NodeLog[];
}

const STATUS_RANK: NodeRunStatus[] = ['failed', 'running', 'waiting', 'pending', 'success', 'skipped'];

/** Per node: its status and logs (attempts, for-each items). */
export function nodeRuns(logs: Iterable<NodeLog>): Map<string, NodeRun> {
  const grouped = new Map<string, NodeLog[]>();
  for (const log of logs) {
    const list = grouped.get(log.node_id) ?? [];
    list.push(log);
    grouped.set(log.node_id, list);
  }
  const out = new Map<string, NodeRun>();
  for (const [nodeId, list] of grouped) {
    const attempts = list.filter((l) => l.item_index === null).sort((a, b) => a.attempt - b.attempt);
    const items = list.filter((l) => l.item_index !== null).sort((a, b) => (a.item_index ?? 0) - (b.item_index ?? 0));
    const latest = attempts[attempts.length - 1] ?? items[items.length - 1];
    let status = latest.status;
    if (!attempts.length && items.length) {
      status = STATUS_RANK.find((s) => items.some((i) => i.status === s)) ?? latest.status;
    }
    out.set(nodeId, { status, latest, attempts, items });
  }
  return out;
}

export function useExecution(executionId: string | null) {
  const [state, dispatch] = useReducer(executionReducer, initial);

  useEffect(() => {
    dispatch({ type: 'reset' });
    if (!executionId) return undefined;
    const source = new EventSource(executionEventsUrl(executionId), { withCredentials: true });
    source.onopen = () => dispatch({ type: 'connected', value: true });
    source.onmessage = (event) => {
      const message = JSON.parse(event.data as string) as ExecutionEvent;
      dispatch(message);
      if (message.type === 'end') source.close();
    };
    source.onerror = () => dispatch({ type: 'connected', value: false });
    return () => source.close();
  }, [executionId]);

  const runs = useMemo(() => nodeRuns(state.logs.values()), [state.logs]);
  const statusByNode = useMemo(() => new Map([...runs].map(([id, run]) => [id, run.status])), [runs]);
  const outputs = useMemo(
    () => new Map<string, JsonValue>([...runs].map(([id, run]) => [id, run.latest.output])),
    [runs],
  );
  return { ...state, runs, statusByNode, outputs };
}
