/** A tiny path router for /builder/ (list) and /builder/workflows/<id> (editor). */
import { useEffect, useState } from 'react';

export type Route = { page: 'list' } | { page: 'editor'; workflowId: string };

let base = '/builder/';

export function setRouterBase(value: string): void {
  base = value.endsWith('/') ? value : `${value}/`;
}

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(base) ? pathname.slice(base.length) : pathname.replace(/^\//, '');
  const match = rest.match(/^workflows\/([0-9a-fA-F-]{8,})\/?$/);
  return match ? { page: 'editor', workflowId: match[1] } : { page: 'list' };
}

export function routeHref(route: Route): string {
  return route.page === 'editor' ? `${base}workflows/${route.workflowId}` : base;
}

export function navigate(route: Route): void {
  window.history.pushState(null, '', routeHref(route));
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return route;
}
