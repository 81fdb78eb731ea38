/**
 * The approvals inbox: the pending approvals the caller may decide (GET /api/approvals?mine=true),
 * each with its title, description, data, workflow, run, request time and expiry; approve or
 * reject with a note (POST /api/approvals/{id}/decide). Refusals (403, 404, 409) are explained
 * and the list reloads after every decision. "All" shows the tenant's approvals by status.
 */
import { useCallback, useEffect, useState } from 'react';
import { decideApproval, listApprovals, listMyApprovals, listWorkflows } from '../api/endpoints';
import type { Approval, ApprovalStatus, Decision, Me } from '../api/types';
import { navigate, routeHref } from '../router';
import { JsonView } from '../ui/JsonView';
import {
  assigneeText,
  decisionDoneMessage,
  decisionErrorMessage,
  expiryText,
  relativeTime,
  type DecisionMessage,
} from './messages';
import { approvalsChanged, canDecide, onApprovalsChanged } from './usePendingApprovals';

const POLL_MS = 15_000;
const STATUSES: ApprovalStatus[] = ['pending', 'approved', 'rejected', 'expired', 'canceled'];
type Tab = 'mine' | 'all';

export function ApprovalsPage({ me }: { me: Me }) {
  const decider = canDecide(me);
  const [tab, setTab] = useState<Tab>(decider ? 'mine' : 'all');
  const [status, setStatus] = useState<ApprovalStatus>('pending');
  const [items, setItems] = useState<Approval[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [workflows, setWorkflows] = useState<Map<string, string>>(new Map());
  const [message, setMessage] = useState<DecisionMessage | null>(null);

  const load = useCallback(() => {
    const request = tab === 'mine' ? listMyApprovals() : listApprovals(status);
    return request
      .then((page) => {
        setItems(page.items);
        setLoadError(null);
      })
      .catch((exc: Error) => setLoadError(exc.message));
  }, [tab, status]);

  useEffect(() => {
    setItems(null);
    void load();
    const timer = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') void load();
    }, POLL_MS);
    const off = onApprovalsChanged(() => void load());
    return () => {
      window.clearInterval(timer);
      off();
    };
  }, [load]);

  useEffect(() => {
    listWorkflows()
      .then((page) => setWorkflows(new Map(page.items.map((w) => [w.id, w.name]))))
      .catch(() => undefined);
  }, []);

  const decided = useCallback(
    (result: DecisionMessage) => {
      setMessage(result);
      if (result.refresh) {
        void load();
        approvalsChanged();
      }
    },
    [load],
  );

  return (
    <section className="list-page approvals-page" data-testid="approvals-page">
      <div className="list-head">
        <h1>Approvals</h1>
        <button type="button" onClick={() => void load()}>Refresh</button>
      </div>
      <div className="tabs page-tabs" role="tablist">
        {decider && (
          <button type="button" role="tab" aria-selected={tab === 'mine'} className={tab === 'mine' ? 'active' : ''} onClick={() => setTab('mine')}>
            Waiting for me
          </button>
        )}
        <button type="button" role="tab" aria-selected={tab === 'all'} className={tab === 'all' ? 'active' : ''} onClick={() => setTab('all')}>
          All in {me.tenant.name}
        </button>
        {tab === 'all' && (
          <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value as ApprovalStatus)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
          </select>
        )}
      </div>
      {!decider && (
        <p className="banner info-soft" data-testid="cannot-decide">
          Your role ({me.role}) may look at approvals but not decide them: approvers and admins decide
          the ones assigned to them or to their role.
        </p>
      )}
      {message && (
        <div
          className={`banner ${message.tone}`}
          role={message.tone === 'success' ? 'status' : 'alert'}
          data-testid="decision-message"
        >
          {message.text}
          <button type="button" className="link dismiss" aria-label="Dismiss" onClick={() => setMessage(null)}>✕</button>
        </div>
      )}
      {loadError && <div className="banner error" role="alert">{loadError}</div>}
      {items === null ? (
        <div className="loading">Loading…</div>
      ) : items.length === 0 ? (
        <p className="empty" data-testid="approvals-empty">
          {tab === 'mine' ? 'Nothing waits for your decision.' : `No ${status} approvals.`}
        </p>
      ) : (
        <div className="approval-list">
          {items.map((approval) => (
            <ApprovalCard
              key={approval.id}
              approval={approval}
              workflowName={approval.workflow_id ? workflows.get(approval.workflow_id) : undefined}
              onDecided={decided}
            />
          ))}
        </div>
      )}
    </section>
  );
}

interface CardProps {
  approval: Approval;
  workflowName: string | undefined;
  onDecided: (message: DecisionMessage) => void;
}

function ApprovalCard({ approval, workflowName, onDecided }: CardProps) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<Decision | null>(null);
  const runRoute = approval.workflow_id
    ? ({ page: 'editor', workflowId: approval.workflow_id, executionId: approval.execution_id } as const)
    : null;

  const decide = async (decision: Decision) => {
    setBusy(decision);
    try {
      await decideApproval(approval.id, decision, note.trim());
      onDecided(decisionDoneMessage(approval, decision));
    } catch (exc) {
      onDecided(decisionErrorMessage(exc, approval));
    } finally {
      setBusy(null);
    }
  };

  const pending = approval.status === 'pending';
  return (
    <article
      className={`approval-card approval-${approval.status}`}
      data-testid={`approval-${approval.id}`}
      data-execution-id={approval.execution_id}
      aria-label={approval.title}
    >
      <header className="approval-head">
        <h2>{approval.title}</h2>
        <span className={`run-badge run-${pending ? 'waiting' : approval.status === 'approved' ? 'success' : 'failed'}`}>
          {approval.status}
        </span>
      </header>
      {approval.description && <p className="approval-description">{approval.description}</p>}
      <dl className="facts approval-facts">
        <dt>Workflow</dt>
        <dd data-testid="approval-workflow">
          {workflowName ?? (approval.workflow_id ? approval.workflow_id : '—')}
          {runRoute && (
            <>
              {' · '}
              <a
                href={routeHref(runRoute)}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(runRoute);
                }}
              >
                open the run
              </a>
            </>
          )}
          <span className="muted small"> · node <code>{approval.node_id}</code></span>
        </dd>
        <dt>Requested</dt>
        <dd title={new Date(approval.requested_at).toLocaleString()} data-testid="approval-requested">
          {new Date(approval.requested_at).toLocaleString()} <span className="muted">({relativeTime(approval.requested_at)})</span>
        </dd>
        <dt>Expiry</dt>
        <dd data-testid="approval-expiry" title={approval.expires_at ? new Date(approval.expires_at).toLocaleString() : undefined}>
          {expiryText(approval.expires_at)}
          {approval.expires_at && <span className="muted"> ({new Date(approval.expires_at).toLocaleString()})</span>}
        </dd>
        <dt>Assigned to</dt>
        <dd>{assigneeText(approval)}</dd>
        {approval.decided_by && (
          <>
            <dt>Decided</dt>
            <dd>
              by {approval.decided_by}
              {approval.decided_at ? ` · ${new Date(approval.decided_at).toLocaleString()}` : ''}
              {approval.note ? ` — “${approval.note}”` : ''}
            </dd>
          </>
        )}
      </dl>
      <h4>Data</h4>
      <JsonView value={approval.data ?? null} testId="approval-data" />
      {pending && approval.can_decide && (
        <div className="decide">
          <label>
            Note <span className="muted small">(optional; kept with the decision)</span>
            <textarea
              aria-label="Note"
              rows={2}
              maxLength={10000}
              value={note}
              disabled={busy !== null}
              onChange={(e) => setNote(e.target.value)}
            />
          </label>
          <div className="decide-actions">
            <button type="button" className="run" disabled={busy !== null} onClick={() => void decide('approve')}>
              {busy === 'approve' ? 'Approving…' : 'Approve'}
            </button>
            <button type="button" className="danger" disabled={busy !== null} onClick={() => void decide('reject')}>
              {busy === 'reject' ? 'Rejecting…' : 'Reject'}
            </button>
          </div>
        </div>
      )}
      {pending && !approval.can_decide && (
        <p className="muted small">Waiting for {assigneeText(approval)}; you may not decide it.</p>
      )}
    </article>
  );
}
