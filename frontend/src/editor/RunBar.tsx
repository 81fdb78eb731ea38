/** The shown execution: status, duration, live indicator, link to the Dagster run. */
import type { Execution } from '../api/types';

interface Props {
  execution: Execution | null;
  connected: boolean;
  finished: boolean;
  onClear: () => void;
}

export function RunBar({ execution, connected, finished, onClear }: Props) {
  if (!execution) return <div className="run-bar">Starting the run…</div>;
  return (
    <div className="run-bar" data-testid="run-bar" data-status={execution.status}>
      <span className={`run-badge run-${execution.status}`} data-testid="execution-status">{execution.status}</span>
      <span>
        Run of v{execution.version_number ?? '?'} · {new Date(execution.started_at).toLocaleTimeString()}
        {execution.duration_ms !== null ? ` · ${execution.duration_ms} ms` : ''}
      </span>
      {!finished && <span className={`live ${connected ? 'on' : 'off'}`}>{connected ? '● live' : '○ reconnecting'}</span>}
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
