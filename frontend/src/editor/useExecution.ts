/**
 * Follow one execution live over the SSE endpoint (GET /api/executions/{id}/events).
 *
 * The server ends the stream ("end") only for success, failed and canceled
 * (crm/workflows/executions.py TERMINAL_STATUSES): a `waiting` execution (an approval, a long
 * wait) keeps its stream open, so the continuation run's changes arrive on it. The client does
 * not rely on that alone: an "end" whose status is not final (e.g. `waiting`), a stream the
 * browser gave up on (readyState CLOSED: an HTTP error, a restart) or one the server closed after
 * its 30-minute limit is re-opened (each opening starts with a fresh snapshot) until the
 * execution is final. `waiting` never counts as finished.
 */
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
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['success', 'failed', 'canceled']);
const isFinal = (status: string | undefined) => status !== undefined && FINAL_STATUSES.has(status);

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
        finished: isFinal(action.execution.status),
      };
    case 'node': {
      const logs = new Map(state.logs);
      logs.set(logKey(action.log), action.log);
      return { ...state, logs };
    }
    case 'execution':
      return { ...state, execution: action.execution, finished: isFinal(action.execution.status) };
    case 'end':
      // Only a final status finishes the view; an "end" on `waiting` means "look again later".
      return isFinal(action.status) ? { ...state, finished: true, connected: false } : { ...state, connected: false };
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

/** The parts of EventSource the follower uses (a fake one in the unit tests). */
export interface StreamLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

export interface FollowOptions {
  open: () => StreamLike;
  dispatch: (action: Action) => void;
  /** Wait before re-opening after a non-final "end" (e.g. `waiting`). */
  reopenMs?: number;
  /** First and longest wait before re-opening a stream the browser gave up on. */
  retryMs?: number;
  maxRetryMs?: number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

const CLOSED = 2; // EventSource.CLOSED

/**
 * Open the stream and keep following until the execution is final; returns `stop`. The
 * browser reconnects on its own after a dropped connection (readyState CONNECTING); this
 * re-opens when it does not (CLOSED) and after an "end" that is not final.
 */
export function followExecution(options: FollowOptions): () => void {
  const {
    open,
    dispatch,
    reopenMs = 2000,
    retryMs = 1000,
    maxRetryMs = 30_000,
    setTimer = (callback, ms) => window.setTimeout(callback, ms),
    clearTimer = (timer) => window.clearTimeout(timer as number),
  } = options;
  let source: StreamLike | null = null;
  let timer: unknown = null;
  let stopped = false;
  let failures = 0;

  const later = (ms: number) => {
    source?.close();
    source = null;
    if (stopped || timer !== null) return;
    timer = setTimer(() => {
      timer = null;
      connect();
    }, ms);
  };

  const connect = () => {
    if (stopped) return;
    const stream = open();
    source = stream;
    stream.onopen = () => {
      failures = 0;
      dispatch({ type: 'connected', value: true });
    };
    stream.onmessage = (event) => {
      const message = JSON.parse(event.data as string) as ExecutionEvent;
      dispatch(message);
      if (message.type === 'end') {
        if (isFinal(message.status)) {
          stopped = true;
          stream.close();
        } else {
          later(reopenMs);
        }
      }
    };
    stream.onerror = () => {
      dispatch({ type: 'connected', value: false });
      if (stream.readyState === CLOSED && source === stream) {
        failures += 1;
        later(Math.min(maxRetryMs, retryMs * 2 ** (failures - 1)));
      }
    };
  };

  connect();
  return () => {
    stopped = true;
    if (timer !== null) clearTimer(timer);
    timer = null;
    source?.close();
    source = null;
  };
}

export function useExecution(executionId: string | null) {
  const [state, dispatch] = useReducer(executionReducer, initial);

  useEffect(() => {
    dispatch({ type: 'reset' });
    if (!executionId) return undefined;
    return followExecution({
      open: () => new EventSource(executionEventsUrl(executionId), { withCredentials: true }),
      dispatch,
    });
  }, [executionId]);

  const runs = useMemo(() => nodeRuns(state.logs.values()), [state.logs]);
  const statusByNode = useMemo(() => new Map([...runs].map(([id, run]) => [id, run.status])), [runs]);
  const outputs = useMemo(
    () => new Map<string, JsonValue>([...runs].map(([id, run]) => [id, run.latest.output])),
    [runs],
  );
  return { ...state, runs, statusByNode, outputs };
}
