/** The inbox's words for decisions, refusals (403/404/409), expiry and the nav badge. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import {
  assigneeText,
  countBadge,
  decisionDoneMessage,
  decisionErrorMessage,
  expiryText,
  relativeTime,
} from './messages';

const approval = { title: 'Discount for Globex' };

describe('decision messages', () => {
  it('says which branch the workflow takes', () => {
    const done = decisionDoneMessage(approval, 'approve');
    expect(done.tone).toBe('success');
    expect(done.text).toContain('approved branch');
    expect(done.refresh).toBe(true);
    expect(decisionDoneMessage(approval, 'reject').text).toContain('rejected branch');
  });

  it('explains a 403: only the assignee or the role', () => {
    const message = decisionErrorMessage(new ApiError(403, 'Only the assignee…', null), approval);
    expect(message.tone).toBe('error');
    expect(message.text).toMatch(/You may not decide “Discount for Globex”/);
    expect(message.text).toContain('assignee');
  });

  it('explains a 409: already decided, nothing changed, the list reloads', () => {
    const message = decisionErrorMessage(new ApiError(409, 'This approval was already approved.', null), approval);
    expect(message.tone).toBe('warn');
    expect(message.text).toContain('This approval was already approved.');
    expect(message.text).toContain('not recorded');
    expect(message.refresh).toBe(true);
  });

  it('a 404 reloads; a network error keeps the card to try again', () => {
    expect(decisionErrorMessage(new ApiError(404, 'gone', null), approval).refresh).toBe(true);
    const network = decisionErrorMessage(new TypeError('Failed to fetch'), approval);
    expect(network.refresh).toBe(false);
    expect(network.text).toContain('Failed to fetch');
  });
});

describe('times and badges', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('relative times', () => {
    expect(relativeTime('2026-03-01T11:57:00Z', now)).toBe('3 min ago');
    expect(relativeTime('2026-03-01T12:00:10Z', now)).toBe('just now');
    expect(relativeTime('2026-03-01T17:00:00Z', now)).toBe('in 5 h');
    expect(relativeTime('2026-02-25T12:00:00Z', now)).toBe('4 days ago');
  });
  it('expiry', () => {
    expect(expiryText(null, now)).toBe('never expires');
    expect(expiryText('2026-03-02T12:00:00Z', now)).toBe('expires in 24 h');
    expect(expiryText('2026-03-01T11:00:00Z', now)).toBe('expired 1 h ago');
  });
  it('assignee and count', () => {
    expect(assigneeText({ assigned_to: null, assigned_role: 'approver' })).toBe('role approver');
    expect(assigneeText({ assigned_to: 'ann', assigned_role: null })).toBe('user ann');
    expect(countBadge(0)).toBeNull();
    expect(countBadge(null)).toBeNull();
    expect(countBadge(3)).toBe('3');
    expect(countBadge(120)).toBe('99+');
  });
});
