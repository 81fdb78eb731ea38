/** Live execution state from the SSE messages, and each node's status. */
import { describe, expect, it } from 'vitest';
import type { Execution, NodeLog } from '../api/types';
import { executionReducer, nodeRuns, type ExecutionState } from './useExecution';

const execution = (status: Execution['status']): Execution => ({
  id: 'x',
  workflow_id: 'w',
  workflow_name: 'W',
  version_number: 1,
  source: 'api',
  status,
  started_at: '2026-01-01T00:00:00Z',
  completed_at: null,
  duration_ms: null,
  dagster_run_id: 'r',
  error: '',
});
const log = (node_id: string, status: NodeLog['status'], extra: Partial<NodeLog> = {}): NodeLog => ({
  node_id,
  type: 't',
  label: node_id,
  status,
  attempt: 1,
  item_index: null,
  input: {},
  output: null,
  output_handle: '',
  error: null,
  duration_ms: null,
  started_at: null,
  completed_at: null,
  ...extra,
});

describe('executionReducer', () => {
  it('applies snapshot, node changes and the end', () => {
    let state: ExecutionState = { execution: null, logs: new Map(), finished: false, connected: true };
    state = executionReducer(state, { type: 'snapshot', execution: execution('running'), logs: [log('a', 'running')] });
    state = executionReducer(state, { type: 'node', log: log('a', 'success') });
    state = executionReducer(state, { type: 'node', log: log('b', 'running') });
    expect(nodeRuns(state.logs.values()).get('a')?.status).toBe('success');
    expect(state.finished).toBe(false);
    state = executionReducer(state, { type: 'execution', execution: execution('success') });
    expect(state.finished).toBe(true);
  });
});

describe('nodeRuns', () => {
  it('takes the latest attempt', () => {
    const runs = nodeRuns([log('a', 'failed'), log('a', 'success', { attempt: 2 })]);
    expect(runs.get('a')?.status).toBe('success');
    expect(runs.get('a')?.attempts).toHaveLength(2);
  });
  it('sums up per-item logs (for-each bodies): any failure shows', () => {
    const runs = nodeRuns([
      log('body', 'success', { item_index: 0 }),
      log('body', 'failed', { item_index: 1 }),
    ]);
    expect(runs.get('body')?.status).toBe('failed');
    expect(runs.get('body')?.items).toHaveLength(2);
  });
});
