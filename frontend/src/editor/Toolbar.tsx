/** The editor's actions: save, validate, publish, run, versions, undo/redo, layout. */
import type { Abilities } from '../permissions';

interface Props {
  name: string;
  can: Abilities;
  dirty: boolean;
  busy: string | null;
  canUndo: boolean;
  canRedo: boolean;
  published: boolean;
  onBack: () => void;
  onSave: () => void;
  onValidate: () => void;
  onPublish: () => void;
  onRun: () => void;
  onVersions: () => void;
  onUndo: () => void;
  onRedo: () => void;
  onLayout: () => void;
}

export function Toolbar(p: Props) {
  const readOnly = !p.can.edit;
  return (
    <div className="toolbar" role="toolbar" aria-label="Workflow actions">
      <button type="button" className="link" onClick={p.onBack}>← Workflows</button>
      <strong className="toolbar-title">{p.name}</strong>
      {p.dirty && !readOnly && <span className="badge unsaved" data-testid="unsaved">unsaved</span>}
      {readOnly && <span className="badge readonly" data-testid="readonly">read-only</span>}
      <span className="spacer" />
      {!readOnly && (
        <>
          <button type="button" onClick={p.onUndo} disabled={!p.canUndo} title="Undo (Ctrl+Z)">Undo</button>
          <button type="button" onClick={p.onRedo} disabled={!p.canRedo} title="Redo (Ctrl+Shift+Z)">Redo</button>
          <button type="button" onClick={p.onLayout} title="Arrange the nodes top to bottom">Auto-layout</button>
          <button type="button" onClick={p.onSave} disabled={p.busy !== null} title="Save the draft (Ctrl+S)">
            {p.busy === 'save' ? 'Saving…' : 'Save draft'}
          </button>
        </>
      )}
      {p.can.validate && (
        <button type="button" onClick={p.onValidate} disabled={p.busy !== null}>
          {p.busy === 'validate' ? 'Validating…' : 'Validate'}
        </button>
      )}
      <button type="button" onClick={p.onVersions}>Versions</button>
      {p.can.publish && (
        <button type="button" className="primary" onClick={p.onPublish} disabled={p.busy !== null}>
          {p.busy === 'publish' ? 'Publishing…' : 'Publish'}
        </button>
      )}
      {p.can.run && (
        <button
          type="button"
          className="run"
          onClick={p.onRun}
          disabled={p.busy !== null || !p.published}
          title={p.published ? 'Run the published version now' : 'Publish first'}
        >
          ▶ Run
        </button>
      )}
    </div>
  );
}
