/**
 * How the workflow starts, beside the trigger's generated form: the manual trigger's sample
 * payload, record events, the published schedule's next run times, the webhook URL and secret.
 */
import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { createWebhook, getNextRuns, getWebhook, rotateWebhook } from '../api/endpoints';
import type { NextRuns, Webhook } from '../api/types';

interface Props {
  workflowId: string;
  triggerType: string;
  canEdit: boolean;
  publishedVersion: number | null;
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="small"
      aria-label={label}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setDone(true);
          window.setTimeout(() => setDone(false), 1500);
        } catch {
          window.prompt(label, text);
        }
      }}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

function SchedulePreview({ workflowId, publishedVersion }: { workflowId: string; publishedVersion: number | null }) {
  const [runs, setRuns] = useState<NextRuns | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    getNextRuns(workflowId)
      .then((found) => {
        setRuns(found);
        setNote(null);
      })
      .catch((exc: Error) => {
        setRuns(null);
        setNote(exc instanceof ApiError && exc.status === 409
          ? 'Publish this schedule to see its next run times.'
          : exc.message);
      });
  }, [workflowId, publishedVersion]);
  return (
    <div className="trigger-box" data-testid="schedule-preview">
      <strong>Next runs</strong> <span className="muted small">(of the published version)</span>
      {runs ? (
        <>
          <div className="muted small"><code>{runs.cron}</code> · {runs.timezone}</div>
          <ol className="small">
            {runs.next_runs.map((time) => <li key={time}>{new Date(time).toLocaleString()} <span className="muted">({time})</span></li>)}
          </ol>
        </>
      ) : (
        <p className="muted small">{note ?? 'Loading…'}</p>
      )}
    </div>
  );
}

function WebhookPanel({ workflowId, canEdit }: { workflowId: string; canEdit: boolean }) {
  const [hook, setHook] = useState<Webhook | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    getWebhook(workflowId)
      .then((found) => {
        setHook(found);
        setMissing(false);
      })
      .catch((exc: Error) => {
        if (exc instanceof ApiError && exc.status === 404) setMissing(true);
        else setError(exc.message);
      });
  }, [workflowId]);
  useEffect(load, [load]);
  const act = (call: Promise<Webhook>) =>
    call.then((found) => {
      setHook(found);
      setMissing(false);
    }).catch((exc: Error) => setError(exc.message));

  return (
    <div className="trigger-box" data-testid="webhook-panel">
      <strong>Webhook</strong>
      {error && <p className="json-problem">{error}</p>}
      {missing && (
        <p className="muted small">
          No webhook URL yet.{' '}
          {canEdit && <button type="button" className="small" onClick={() => act(createWebhook(workflowId))}>Create URL and secret</button>}
        </p>
      )}
      {hook && (
        <>
          <div className="copy-row">
            <input className="form-control" readOnly value={hook.url} aria-label="Webhook URL" />
            <CopyButton text={hook.url} label="Copy the webhook URL" />
          </div>
          {hook.secret && (
            <>
              <div className="copy-row">
                <input className="form-control" readOnly value={hook.secret} aria-label="Webhook secret" />
                <CopyButton text={hook.secret} label="Copy the webhook secret" />
              </div>
              <p className="banner warn small">Copy the secret now: it is not shown again.</p>
            </>
          )}
          <p className="muted small">
            Senders sign with {hook.signature}, or send the secret in <code>{hook.secret_header}</code>.
          </p>
          {canEdit && (
            <button type="button" className="small" onClick={() => {
              if (window.confirm('Rotate the secret? Senders using the old one stop working.')) act(rotateWebhook(workflowId, false));
            }}>
              Rotate secret
            </button>
          )}
        </>
      )}
    </div>
  );
}

export function TriggerPanel({ workflowId, triggerType, canEdit, publishedVersion }: Props) {
  if (triggerType === 'schedule') return <SchedulePreview workflowId={workflowId} publishedVersion={publishedVersion} />;
  if (triggerType === 'webhook') return <WebhookPanel workflowId={workflowId} canEdit={canEdit} />;
  if (triggerType.startsWith('record_') || triggerType === 'field_changed') {
    return (
      <p className="muted small trigger-note" data-testid="trigger-note">
        Runs when a record of the chosen pipelines (none: every pipeline) is{' '}
        {triggerType === 'field_changed' ? 'changed in a watched field' : triggerType.replace('record_', '')}
        {' '}and the conditions hold. The event is in <code>trigger.*</code>; the sample payload stands in for it in test runs.
      </p>
    );
  }
  return (
    <p className="muted small trigger-note" data-testid="trigger-note">
      Manual trigger: runs start from <strong>Run</strong> here, the API or the Dagster launchpad.
      The sample payload below is what a run gets when it is started without one, and what
      the expression help lists as <code>trigger.*</code>.
    </p>
  );
}
