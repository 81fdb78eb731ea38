/** Published versions, newest first; roll back publishes an old one as a new version. */
import { useEffect, useState } from 'react';
import { listVersions } from '../api/endpoints';
import type { Version } from '../api/types';
import { toast } from '../ui/Toasts';

interface Props {
  workflowId: string;
  currentVersion: number | null;
  canPublish: boolean;
  refreshKey: number;
  onRollback: (number: number) => Promise<void>;
  onClose: () => void;
}

export function VersionsPanel({ workflowId, currentVersion, canPublish, refreshKey, onRollback, onClose }: Props) {
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  useEffect(() => {
    listVersions(workflowId)
      .then(setVersions)
      .catch((exc: Error) => toast(exc.message, 'error'));
  }, [workflowId, refreshKey]);

  return (
    <div className="drawer" role="dialog" aria-label="Version history" data-testid="versions">
      <header className="panel-head">
        <h2>Version history</h2>
        <button type="button" className="link" onClick={onClose} aria-label="Close version history">✕</button>
      </header>
      {versions === null ? (
        <div className="loading">Loading…</div>
      ) : versions.length === 0 ? (
        <p className="muted">Nothing published yet.</p>
      ) : (
        <ul className="version-list">
          {versions.map((v) => (
            <li key={v.number} data-testid={`version-${v.number}`}>
              <div>
                <strong>v{v.number}</strong>
                {v.number === currentVersion && <span className="badge status-active">current</span>}
                <div className="muted small">
                  {new Date(v.published_at).toLocaleString()} by {v.published_by ?? 'unknown'}
                </div>
              </div>
              {canPublish && v.number !== currentVersion && (
                <button
                  type="button"
                  disabled={busy !== null}
                  onClick={async () => {
                    if (!window.confirm(`Publish v${v.number}'s definition again as a new version? The draft is replaced.`)) return;
                    setBusy(v.number);
                    try {
                      await onRollback(v.number);
                    } finally {
                      setBusy(null);
                    }
                  }}
                >
                  {busy === v.number ? 'Rolling back…' : 'Roll back to this'}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
