/** Words of the approvals inbox: what a refused decision means, expiry and age, pending count. */
import { ApiError } from '../api/client';
import type { Approval, Decision } from '../api/types';

export type Tone = 'success' | 'error' | 'warn';

export interface DecisionMessage {
  tone: Tone;
  text: string;
  /** The list no longer holds the truth: reload it. */
  refresh: boolean;
}

const DONE: Record<Decision, string> = { approve: 'Approved', reject: 'Rejected' };
const BRANCH: Record<Decision, string> = { approve: 'approved', reject: 'rejected' };

export function decisionDoneMessage(approval: Pick<Approval, 'title'>, decision: Decision): DecisionMessage {
  return {
    tone: 'success',
    text: `${DONE[decision]} “${approval.title}”: the workflow goes on along its ${BRANCH[decision]} branch.`,
    refresh: true,
  };
}

/** The API's refusal (crm/api/routers/approvals.py: 403, 404, 409) in the inbox's words. */
export function decisionErrorMessage(error: unknown, approval: Pick<Approval, 'title'>): DecisionMessage {
  const detail = error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError ? error.status : 0;
  const title = `“${approval.title}”`;
  switch (status) {
    case 403:
      return {
        tone: 'error',
        text: `You may not decide ${title}: only its assignee, or a member of the role it is assigned to, may. (${detail})`,
        refresh: true,
      };
    case 404:
      return { tone: 'error', text: `${title} no longer exists in this tenant. (${detail})`, refresh: true };
    case 409:
      return {
        tone: 'warn',
        text: `Too late for ${title}: ${detail} Your decision was not recorded; the list is refreshed.`,
        refresh: true,
      };
    case 400:
    case 422:
      return { tone: 'error', text: `The decision was refused: ${detail}`, refresh: false };
    default:
      return {
        tone: 'error',
        text: `The decision could not be sent (${detail}). Try again.`,
        refresh: false,
      };
  }
}

function span(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 1) return 'less than a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours <= 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

/** "3 min ago", "in 5 h". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const delta = new Date(iso).getTime() - now;
  if (Math.abs(delta) < 30_000) return 'just now';
  return delta < 0 ? `${span(delta)} ago` : `in ${span(delta)}`;
}

export function expiryText(expiresAt: string | null, now: number = Date.now()): string {
  if (!expiresAt) return 'never expires';
  const delta = new Date(expiresAt).getTime() - now;
  return delta <= 0 ? `expired ${span(delta)} ago` : `expires in ${span(delta)}`;
}

export function assigneeText(approval: Pick<Approval, 'assigned_to' | 'assigned_role'>): string {
  if (approval.assigned_to) return `user ${approval.assigned_to}`;
  if (approval.assigned_role) return `role ${approval.assigned_role}`;
  return 'nobody';
}

/** The nav badge: nothing for none, "99+" beyond 99. */
export function countBadge(count: number | null): string | null {
  if (!count) return null;
  return count > 99 ? '99+' : String(count);
}
