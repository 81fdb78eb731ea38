/** Node types by category; drag one onto the canvas (or press Enter to add it). */
import type { Catalogue, NodeTypeSpec } from '../api/types';

export const DRAG_MIME = 'application/x-workflow-node';

interface Props {
  catalogue: Catalogue;
  hasTrigger: boolean;
  disabled: boolean;
  onAdd: (spec: NodeTypeSpec) => void;
}

export function Palette({ catalogue, hasTrigger, disabled, onAdd }: Props) {
  return (
    <aside className="palette" aria-label="Node palette">
      <h2>Nodes</h2>
      {catalogue.categories.map((category) => {
        const specs = catalogue.node_types.filter((n) => n.category === category.id);
        if (!specs.length) return null;
        return (
          <section key={category.id} className="palette-group">
            <h3>{category.label}</h3>
            {specs.map((spec) => {
              const blocked = disabled || (spec.is_trigger && hasTrigger);
              return (
                <div
                  key={spec.type}
                  className={`palette-item cat-${spec.category}${blocked ? ' disabled' : ''}`}
                  data-testid={`palette-${spec.type}`}
                  draggable={!blocked}
                  tabIndex={blocked ? -1 : 0}
                  role="button"
                  aria-disabled={blocked}
                  title={spec.is_trigger && hasTrigger ? 'A workflow has one trigger' : spec.summary}
                  onDragStart={(event) => {
                    event.dataTransfer.setData(DRAG_MIME, spec.type);
                    event.dataTransfer.effectAllowed = 'move';
                  }}
                  onKeyDown={(event) => {
                    if (!blocked && (event.key === 'Enter' || event.key === ' ')) {
                      event.preventDefault();
                      onAdd(spec);
                    }
                  }}
                >
                  <div className="palette-label">{spec.label}</div>
                  <div className="palette-summary">{spec.summary}</div>
                </div>
              );
            })}
          </section>
        );
      })}
    </aside>
  );
}
