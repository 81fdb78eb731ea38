/** One node's part of the shown execution: status, duration, input, output, error. */
import type { NodeRun } from './useExecution';
import { JsonView } from '../ui/JsonView';
import type { NodeLog } from '../api/types';
import { navigate, routeHref } from '../router';

function WaitingNote({ log }: { log: NodeLog }) {
  const approval = log.type === 'approval';
  return (
    <div className="waiting-box" data-testid="run-waiting">
      ◷ {approval ? 'Waiting for a decision.' : 'Suspended until its due time.'} No worker is held; the run
      goes on from this node{approval ? ' once the approval is approved or rejected (or expires)' : ' when it is due'}.
      {approval && (
        <>
          {' '}
          <a
            href={routeHref({ page: 'approvals' })}
            onClick={(e) => {
              e.preventDefault();
              navigate({ page: 'approvals' });
            }}
          >
            Open the approvals inbox
          </a>
        </>
      )}
    </div>
  );
}

function LogBody({ log }: { log: NodeLog }) {
  return (
    <>
      <dl className="facts">
        <dt>Status</dt>
        <dd><span className={`run-badge run-${log.status}`}>{log.status}</span></dd>
        <dt>Duration</dt>
        <dd data-testid="run-duration">{log.duration_ms !== null ? `${log.duration_ms} ms` : '—'}</dd>
        <dt>Attempt</dt>
        <dd>{log.attempt}</dd>
        {log.output_handle && (
          <>
            <dt>Output handle</dt>
            <dd>{log.output_handle}</dd>
          </>
        )}
      </dl>
      {log.error && (
        <>
          <h4>Error</h4>
          <div className="run-error" data-testid="run-error">
            {String(log.error.message ?? log.error.type ?? 'error')}
          </div>
          <JsonView value={log.error} />
        </>
      )}
      <h4>Input</h4>
      <JsonView value={log.input} testId="run-input" />
      <h4>Output</h4>
      <JsonView value={log.output} testId="run-output" />
    </>
  );
}

export function RunDetails({ run }: { run: NodeRun | undefined }) {
  if (!run) return <p className="muted">This node has no log in the shown execution.</p>;
  return (
    <div className="run-details" data-testid="run-details">
      {run.latest.status === 'waiting' && <WaitingNote log={run.latest} />}
      <LogBody log={run.latest} />
      {run.attempts.length > 1 && (
        <p className="muted small" data-testid="run-attempts">
          {run.attempts.length} attempts ({run.attempts.map((a) => `${a.attempt}: ${a.status}`).join(', ')}); the last
          one is shown.
          {run.attempts.some((a) => a.status === 'waiting') ? ' The execution waited here, then resumed.' : ''}
        </p>
      )}
      {run.items.length > 0 && (
        <>
          <h4>Items ({run.items.length})</h4>
          <table className="items" data-testid="run-items">
            <thead>
              <tr><th>#</th><th>Status</th><th>Duration</th><th>Output / error</th></tr>
            </thead>
            <tbody>
              {run.items.map((item) => (
                <tr key={`${item.item_index}-${item.attempt}`} data-testid="run-item">
                  <td>{item.item_index}</td>
                  <td><span className={`run-badge run-${item.status}`}>{item.status}</span></td>
                  <td>{item.duration_ms ?? '—'} ms</td>
                  <td><code>{JSON.stringify(item.error ?? item.output)?.slice(0, 120)}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
