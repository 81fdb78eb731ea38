/** How many approvals wait for the caller (the nav badge): polled, and refreshed on decisions. */
import { useCallback, useEffect, useState } from 'react';
import { listMyApprovals } from '../api/endpoints';
import type { Me } from '../api/types';

const CHANGED = 'builder:approvals-changed';
export const PENDING_POLL_MS = 20_000;

/** Tell the badge (and open inboxes) that approvals changed, e.g. after a decision. */
export function approvalsChanged(): void {
  window.dispatchEvent(new Event(CHANGED));
}

export function onApprovalsChanged(listener: () => void): () => void {
  window.addEventListener(CHANGED, listener);
  return () => window.removeEventListener(CHANGED, listener);
}

export function canDecide(me: Me | null): boolean {
  return Boolean(me?.permissions.includes('approval.decide'));
}

/** The caller's pending count; null while unknown or when the role decides nothing. */
export function usePendingApprovals(me: Me | null): number | null {
  const [count, setCount] = useState<number | null>(null);
  const decider = canDecide(me);
  const tenant = me?.tenant.slug;

  const refresh = useCallback(() => {
    if (!decider) return;
    listMyApprovals(1)
      .then((page) => setCount(page.count))
      .catch(() => undefined);
  }, [decider]);

  useEffect(() => {
    setCount(null);
    if (!decider) return undefined;
    refresh();
    const timer = window.setInterval(() => {
      if (document.visibilityState !== 'hidden') refresh();
    }, PENDING_POLL_MS);
    const off = onApprovalsChanged(refresh);
    return () => {
      window.clearInterval(timer);
      off();
    };
  }, [decider, tenant, refresh]);

  return decider ? count : null;
}
