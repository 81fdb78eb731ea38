/** The expressions a node may use: trigger payload keys and upstream nodes; click to copy. */
import { useState } from 'react';
import type { Suggestion } from '../model/expressions';

interface Props {
  trigger: Suggestion[];
  upstream: Suggestion[];
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function ExpressionHelp({ trigger, upstream }: Props) {
  const [copied, setCopied] = useState<string | null>(null);
  const chip = (s: Suggestion) => (
    <li key={s.expression}>
      <button
        type="button"
        className="chip"
        title={`${s.hint} — click to copy`}
        onClick={async () => {
          if (await copy(s.expression)) setCopied(s.expression);
        }}
      >
        <code>{s.expression}</code>
      </button>
      <span className="muted small">{copied === s.expression ? 'copied' : s.hint}</span>
    </li>
  );
  return (
    <details className="expression-help" open>
      <summary>Expressions</summary>
      <p className="muted small">
        Any text field may use <code>{'{{ … }}'}</code> over <code>trigger</code> (the payload),
        <code>nodes.&lt;id&gt;</code> (outputs of upstream nodes), <code>execution</code> and{' '}
        <code>workflow</code>. A value that is exactly one expression keeps its type.
      </p>
      <h4>Trigger payload</h4>
      {trigger.length ? (
        <ul className="chips">{trigger.map(chip)}</ul>
      ) : (
        <p className="muted small">No sample payload keys: set the trigger's sample payload.</p>
      )}
      <h4>Upstream nodes</h4>
      {upstream.length ? (
        <ul className="chips">{upstream.map(chip)}</ul>
      ) : (
        <p className="muted small">Nothing upstream yet: connect this node.</p>
      )}
    </details>
  );
}
