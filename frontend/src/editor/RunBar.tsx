/** The shown execution: status, duration, live indicator, link to the Dagster run. */
import type { Execution } from '../api/types';
import { navigate, routeHref } from '../router';

interface Props {
  execution: Execution | null;
  connected: boolean;
  finished: boolean;
  /** Node labels of the nodes the execution waits on (approvals, long waits). */
  waitingOn?: string[];
  onClear: () => void;
}

export function RunBar({ execution, connected, finished, waitingOn = [], onClear }: Props) {
  if (!execution) return <div className="run-bar">Starting the run…</div>;
  const waiting = execution.status === 'waiting';
  return (
    <div
      className={`run-bar${waiting ? ' run-bar-waiting' : ''}`}
      data-testid="run-bar"
      data-status={execution.status}
      data-execution-id={execution.id}
    >
      <span className={`run-badge run-${execution.status}`} data-testid="execution-status">{execution.status}</span>
      <span>
        Run of v{execution.version_number ?? '?'} · {new Date(execution.started_at).toLocaleTimeString()}
        {execution.duration_ms !== null && !waiting ? ` · ${execution.duration_ms} ms` : ''}
      </span>
      {waiting && (
        <span className="waiting-note" data-testid="waiting-note">
          ◷ waits at {waitingOn.length ? waitingOn.join(', ') : 'a suspended node'} until decided or due ·{' '}
          <a
            href={routeHref({ page: 'approvals' })}
            onClick={(e) => {
              e.preventDefault();
              navigate({ page: 'approvals' });
            }}
          >
            approvals inbox
          </a>
        </span>
      )}
      {!finished && (
        <span className={`live ${connected ? 'on' : 'off'}`} data-testid="live">
          {connected ? (waiting ? '● following' : '● live') : '○ reconnecting'}
        </span>
      )}
      {execution.error && <span className="run-error-inline" title={execution.error}>{execution.error.slice(0, 120)}</span>}
      {execution.dagster_run_url && (
        <a href={execution.dagster_run_url} target="_blank" rel="noreferrer" data-testid="dagster-link">
          Open in Dagster ↗
        </a>
      )}
      <button type="button" className="link" onClick={onClear} aria-label="Hide the run">✕</button>
    </div>
  );
}
