/** Live execution state from the SSE messages, and each node's status. */
import { describe, expect, it } from 'vitest';
import type { Execution, NodeLog } from '../api/types';
import { executionReducer, followExecution, nodeRuns, type ExecutionState, type StreamLike } from './useExecution';

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

describe('waiting executions', () => {
  it('waiting is not finished, not even on an "end" that says waiting', () => {
    let state: ExecutionState = { execution: null, logs: new Map(), finished: false, connected: true };
    state = executionReducer(state, {
      type: 'snapshot',
      execution: execution('waiting'),
      logs: [log('trigger', 'success'), log('approve', 'waiting')],
    });
    expect(state.finished).toBe(false);
    expect(nodeRuns(state.logs.values()).get('approve')?.status).toBe('waiting');
    state = executionReducer(state, { type: 'end', status: 'waiting' });
    expect(state.finished).toBe(false);
    // The continuation run: the approval's second attempt, then the approved branch.
    state = executionReducer(state, { type: 'execution', execution: execution('running') });
    state = executionReducer(state, { type: 'node', log: log('approve', 'success', { attempt: 2, output_handle: 'approved' }) });
    state = executionReducer(state, { type: 'node', log: log('notify', 'success') });
    state = executionReducer(state, { type: 'execution', execution: execution('success') });
    const runs = nodeRuns(state.logs.values());
    expect(runs.get('approve')?.status).toBe('success');
    expect(runs.get('approve')?.attempts.map((a) => a.status)).toEqual(['waiting', 'success']);
    expect(state.finished).toBe(true);
  });
});

class FakeStream implements StreamLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  send(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }
}

function harness() {
  const streams: FakeStream[] = [];
  const timers: { callback: () => void; ms: number; cleared: boolean }[] = [];
  const actions: { type: string }[] = [];
  const stop = followExecution({
    open: () => {
      const stream = new FakeStream();
      streams.push(stream);
      return stream;
    },
    dispatch: (action) => actions.push(action),
    reopenMs: 2000,
    retryMs: 1000,
    maxRetryMs: 4000,
    setTimer: (callback, ms) => {
      const timer = { callback, ms, cleared: false };
      timers.push(timer);
      return timer;
    },
    clearTimer: (timer) => {
      (timer as { cleared: boolean }).cleared = true;
    },
  });
  const fire = () => {
    const timer = timers.find((t) => !t.cleared);
    if (!timer) throw new Error('no timer');
    timer.cleared = true;
    timer.callback();
  };
  return { streams, timers, actions, stop, fire };
}

describe('followExecution', () => {
  it('re-opens after an "end" that is not final (the execution waits) until it is', () => {
    const h = harness();
    h.streams[0].send({ type: 'snapshot', execution: execution('waiting'), logs: [] });
    h.streams[0].send({ type: 'end', status: 'waiting' });
    expect(h.streams[0].closed).toBe(true);
    expect(h.timers.map((t) => t.ms)).toEqual([2000]);
    h.fire();
    expect(h.streams).toHaveLength(2);
    h.streams[1].send({ type: 'snapshot', execution: execution('success'), logs: [] });
    h.streams[1].send({ type: 'end', status: 'success' });
    expect(h.streams[1].closed).toBe(true);
    expect(h.timers.filter((t) => !t.cleared)).toHaveLength(0);
  });

  it('leaves dropped connections to the browser; re-opens what it gave up on, backing off', () => {
    const h = harness();
    h.streams[0].readyState = 0; // CONNECTING: the browser retries by itself
    h.streams[0].onerror?.(new Event('error'));
    expect(h.timers).toHaveLength(0);
    for (let i = 0; i < 4; i += 1) {
      const stream = h.streams[h.streams.length - 1];
      stream.readyState = 2; // CLOSED
      stream.onerror?.(new Event('error'));
      h.fire();
    }
    expect(h.timers.map((t) => t.ms)).toEqual([1000, 2000, 4000, 4000]);
    expect(h.streams).toHaveLength(5);
    h.streams[4].onopen?.(new Event('open'));
    expect(h.actions.filter((a) => a.type === 'connected')).toContainEqual({ type: 'connected', value: true });
  });

  it('stop closes the stream and cancels a pending re-open', () => {
    const h = harness();
    h.streams[0].send({ type: 'end', status: 'waiting' });
    h.stop();
    expect(h.timers[0].cleared).toBe(true);
    expect(h.streams).toHaveLength(1);
  });
});
