/** The side panel when no node is selected: the workflow, its issues, its recent runs. */
import type { Execution, WorkflowDetail } from '../api/types';
import type { IssueIndex } from '../model/errors';

interface Props {
  workflow: WorkflowDetail;
  issues: IssueIndex;
  executions: Execution[];
  shownExecutionId: string | null;
  onSelectNode: (nodeId: string) => void;
  onShowExecution: (executionId: string) => void;
}

export function WorkflowPanel({ workflow, issues, executions, shownExecutionId, onSelectNode, onShowExecution }: Props) {
  return (
    <aside className="side-panel" aria-label="Workflow" data-testid="workflow-panel">
      <header className="panel-head">
        <div>
          <div className="muted small">Workflow</div>
          <h2>{workflow.name}</h2>
          <div className="muted small">
            <span className={`badge status-${workflow.status}`}>{workflow.status}</span>{' '}
            {workflow.current_version ? `published v${workflow.current_version}` : 'never published'}
          </div>
        </div>
      </header>
      <div className="panel-body">
        <p className="muted small">Select a node to configure it. Drag nodes from the palette; connect an output handle to a node's top.</p>
        {issues.all.length > 0 && (
          <section>
            <h3>Issues ({issues.all.length})</h3>
            <ul className="issue-list" data-testid="issues">
              {issues.all.map((issue, index) => (
                <li key={index}>
                  <code>{issue.code}</code>{' '}
                  {issue.node_id ? (
                    <button type="button" className="link" onClick={() => onSelectNode(issue.node_id!)}>
                      {issue.node_id}
                    </button>
                  ) : null}
                  {issue.field ? <span className="muted"> · {issue.field}</span> : null} — {issue.message}
                </li>
              ))}
            </ul>
          </section>
        )}
        <section>
          <h3>Recent runs</h3>
          {executions.length === 0 ? (
            <p className="muted small">No runs yet.</p>
          ) : (
            <ul className="run-list">
              {executions.map((e) => (
                <li key={e.id} className={e.id === shownExecutionId ? 'current' : ''}>
                  <button type="button" className="link" onClick={() => onShowExecution(e.id)}>
                    {new Date(e.started_at).toLocaleString()}
                  </button>{' '}
                  <span className={`run-badge run-${e.status}`}>{e.status}</span>{' '}
                  <span className="muted small">
                    v{e.version_number ?? '?'} · {e.source}
                    {e.duration_ms !== null ? ` · ${e.duration_ms} ms` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </aside>
  );
}
