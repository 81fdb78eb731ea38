/** The tenant's workflows, with search and "new workflow". */
import { useEffect, useState } from 'react';
import { createWorkflow, listWorkflows } from '../api/endpoints';
import type { Me, Workflow } from '../api/types';
import { abilitiesOf } from '../permissions';
import { navigate, routeHref } from '../router';
import { toast } from '../ui/Toasts';
import { starterDefinition } from '../model/starter';

export function WorkflowList({ me }: { me: Me }) {
  const [items, setItems] = useState<Workflow[] | null>(null);
  const [query, setQuery] = useState('');
  const [name, setName] = useState('');
  const [creating, setCreating] = useState(false);
  const can = abilitiesOf(me);

  useEffect(() => {
    const timer = window.setTimeout(() => {
      listWorkflows(query)
        .then((page) => setItems(page.items))
        .catch((exc: Error) => toast(exc.message, 'error'));
    }, 150);
    return () => window.clearTimeout(timer);
  }, [query]);

  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    setCreating(true);
    try {
      const workflow = await createWorkflow(name.trim(), '', starterDefinition());
      navigate({ page: 'editor', workflowId: workflow.id });
    } catch (exc) {
      toast((exc as Error).message, 'error');
    } finally {
      setCreating(false);
    }
  };

  return (
    <section className="list-page">
      <div className="list-head">
        <h1>Workflows of {me.tenant.name}</h1>
        <input
          type="search"
          placeholder="Search workflows"
          aria-label="Search workflows"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      {can.edit && (
        <form className="new-workflow" onSubmit={create}>
          <input
            aria-label="New workflow name"
            placeholder="New workflow name"
            value={name}
            maxLength={255}
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit" className="primary" disabled={creating || !name.trim()}>
            Create workflow
          </button>
        </form>
      )}
      {items === null ? (
        <div className="loading">Loading…</div>
      ) : items.length === 0 ? (
        <p className="empty">No workflows yet.{can.edit ? ' Create the first one above.' : ''}</p>
      ) : (
        <table className="workflow-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Version</th>
              <th>Trigger</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((w) => (
              <tr key={w.id}>
                <td>
                  <a
                    href={routeHref({ page: 'editor', workflowId: w.id })}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate({ page: 'editor', workflowId: w.id });
                    }}
                  >
                    {w.name}
                  </a>
                  {w.description && <div className="muted small">{w.description}</div>}
                </td>
                <td><span className={`badge status-${w.status}`}>{w.status}</span></td>
                <td>{w.current_version ? `v${w.current_version}` : '—'}</td>
                <td>{w.trigger_type}</td>
                <td>{new Date(w.updated_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
