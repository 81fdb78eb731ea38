/**
 * A tiny path router for /builder/ (list), /builder/approvals (the approvals inbox) and
 * /builder/workflows/<id> (editor; `?execution=<id>` shows that execution's run).
 */
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'list' }
  | { page: 'approvals' }
  | { page: 'editor'; workflowId: string; executionId?: string };

let base = '/builder/';

export function setRouterBase(value: string): void {
  base = value.endsWith('/') ? value : `${value}/`;
}

const ID = /^[0-9a-fA-F-]{8,}$/;

export function parseRoute(pathname: string, search = ''): Route {
  const rest = pathname.startsWith(base) ? pathname.slice(base.length) : pathname.replace(/^\//, '');
  if (/^approvals\/?$/.test(rest)) return { page: 'approvals' };
  const match = rest.match(/^workflows\/([0-9a-fA-F-]{8,})\/?$/);
  if (!match) return { page: 'list' };
  const execution = new URLSearchParams(search).get('execution');
  return execution && ID.test(execution)
    ? { page: 'editor', workflowId: match[1], executionId: execution }
    : { page: 'editor', workflowId: match[1] };
}

export function routeHref(route: Route): string {
  if (route.page === 'approvals') return `${base}approvals`;
  if (route.page === 'editor') {
    const query = route.executionId ? `?execution=${encodeURIComponent(route.executionId)}` : '';
    return `${base}workflows/${route.workflowId}${query}`;
  }
  return base;
}

export function navigate(route: Route): void {
  window.history.pushState(null, '', routeHref(route));
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname, window.location.search));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname, window.location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return route;
}
