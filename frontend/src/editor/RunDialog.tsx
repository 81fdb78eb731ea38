/** "Run now" with a test payload (a JSON object), prefilled from the trigger's sample. */
import { useState } from 'react';
import type { JsonObject } from '../api/types';

interface Props {
  initial: JsonObject;
  warning: string | null;
  onRun: (payload: JsonObject) => Promise<void>;
  onClose: () => void;
}

export function RunDialog({ initial, warning, onRun, onClose }: Props) {
  const [text, setText] = useState(() => JSON.stringify(initial, null, 2));
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    let payload: unknown;
    try {
      payload = text.trim() ? JSON.parse(text) : {};
    } catch (exc) {
      setProblem(`Not valid JSON: ${(exc as Error).message}`);
      return;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      setProblem('The payload must be a JSON object.');
      return;
    }
    setBusy(true);
    try {
      await onRun(payload as JsonObject);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="modal-backdrop" onClick={onClose}>
      <form className="modal" role="dialog" aria-label="Run now" onSubmit={submit} onClick={(e) => e.stopPropagation()}>
        <h2>Run now</h2>
        {warning && <p className="banner warn">{warning}</p>}
        <label className="control-label" htmlFor="run-payload">Trigger payload (JSON)</label>
        <textarea
          id="run-payload"
          className="form-control json-input"
          rows={10}
          spellCheck={false}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setProblem(null);
          }}
        />
        {problem && <p className="json-problem" role="alert">{problem}</p>}
        <div className="modal-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={busy} data-testid="run-submit">
            {busy ? 'Starting…' : 'Run'}
          </button>
        </div>
      </form>
    </div>
  );
}
