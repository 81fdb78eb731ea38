/** The shell: tenant, caller and catalogue, header, and the page for the current route. */
import { useEffect, useMemo, useState } from 'react';
import { configureApi, csrfToken } from './api/client';
import { getCatalogue, getMe } from './api/endpoints';
import type { Catalogue, Me } from './api/types';
import { ApprovalsPage } from './approvals/ApprovalsPage';
import { countBadge } from './approvals/messages';
import { usePendingApprovals } from './approvals/usePendingApprovals';
import { chooseTenant, readBoot, rememberTenant } from './boot';
import { EditorPage } from './editor/EditorPage';
import { WorkflowList } from './list/WorkflowList';
import { navigate, routeHref, setRouterBase, useRoute } from './router';
import { Toasts } from './ui/Toasts';

const boot = readBoot();
setRouterBase(boot.base);

export function App() {
  const [tenant, setTenant] = useState(() => chooseTenant(boot));
  const [me, setMe] = useState<Me | null>(null);
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const [error, setError] = useState<string | null>(null);
  const route = useRoute();
  const pending = usePendingApprovals(me);
  const badge = countBadge(pending);

  useEffect(() => {
    configureApi({ tenant, base: boot.api });
    setMe(null);
    setError(null);
    if (!tenant) {
      setError('Your account is not a member of any tenant: ask an administrator to add you.');
      return;
    }
    Promise.all([getMe(), getCatalogue()])
      .then(([who, nodes]) => {
        setMe(who);
        setCatalogue(nodes);
      })
      .catch((exc: Error) => setError(exc.message));
  }, [tenant]);

  const current = useMemo(() => boot.tenants.find((t) => t.slug === tenant), [tenant]);

  return (
    <div className="app">
      <header className="app-header">
        <a className="brand" href={routeHref({ page: 'list' })} onClick={(e) => { e.preventDefault(); navigate({ page: 'list' }); }}>
          CRM · Workflow builder
        </a>
        <nav className="app-nav" aria-label="Pages">
          <a
            href={routeHref({ page: 'list' })}
            className={route.page !== 'approvals' ? 'active' : ''}
            onClick={(e) => { e.preventDefault(); navigate({ page: 'list' }); }}
          >
            Workflows
          </a>
          <a
            href={routeHref({ page: 'approvals' })}
            className={route.page === 'approvals' ? 'active' : ''}
            data-testid="nav-approvals"
            aria-label={badge ? `Approvals, ${pending} pending` : 'Approvals'}
            onClick={(e) => { e.preventDefault(); navigate({ page: 'approvals' }); }}
          >
            Approvals
            {badge && <span className="nav-count" data-testid="approvals-count">{badge}</span>}
          </a>
        </nav>
        <div className="header-right">
          {boot.tenants.length > 1 ? (
            <select
              aria-label="Tenant"
              value={tenant ?? ''}
              onChange={(e) => {
                rememberTenant(e.target.value);
                setTenant(e.target.value);
                navigate({ page: 'list' });
              }}
            >
              {boot.tenants.map((t) => (
                <option key={t.slug} value={t.slug}>{t.name}</option>
              ))}
            </select>
          ) : (
            current && <span className="tenant">{current.name}</span>
          )}
          {me && (
            <span className="who" data-testid="who">
              {me.user.username} · <span className={`role role-${me.role}`}>{me.role}</span>
            </span>
          )}
          <form method="post" action={boot.logout}>
            <input type="hidden" name="csrfmiddlewaretoken" value={csrfToken()} />
            <button className="link" type="submit">Sign out</button>
          </form>
        </div>
      </header>
      <main className="app-main">
        {error && <div className="banner error" role="alert">{error}</div>}
        {!error && (!me || !catalogue) && <div className="loading">Loading…</div>}
        {me && catalogue && route.page === 'list' && <WorkflowList me={me} />}
        {me && catalogue && route.page === 'editor' && (
          <EditorPage
            key={route.workflowId}
            workflowId={route.workflowId}
            executionId={route.executionId ?? null}
            me={me}
            catalogue={catalogue}
          />
        )}
        {me && catalogue && route.page === 'approvals' && <ApprovalsPage key={me.tenant.slug} me={me} />}
      </main>
      <Toasts />
    </div>
  );
}
