/** Routes: list, approvals inbox, editor with an optional execution to show. */
import { describe, expect, it } from 'vitest';
import { parseRoute, routeHref } from './router';

const id = '0b6f1f5e-7c1e-4d1a-9a53-3f3f1b0a2c11';
const ex = '9d2c7a10-1111-4222-8333-444455556666';

describe('router', () => {
  it('parses and builds every page', () => {
    expect(parseRoute('/builder/')).toEqual({ page: 'list' });
    expect(parseRoute('/builder/approvals')).toEqual({ page: 'approvals' });
    expect(parseRoute('/builder/approvals/')).toEqual({ page: 'approvals' });
    expect(parseRoute(`/builder/workflows/${id}`)).toEqual({ page: 'editor', workflowId: id });
    expect(parseRoute(`/builder/workflows/${id}`, `?execution=${ex}`)).toEqual({
      page: 'editor',
      workflowId: id,
      executionId: ex,
    });
    expect(parseRoute(`/builder/workflows/${id}`, '?execution=<script>')).toEqual({ page: 'editor', workflowId: id });
    expect(routeHref({ page: 'approvals' })).toBe('/builder/approvals');
    expect(routeHref({ page: 'editor', workflowId: id, executionId: ex })).toBe(`/builder/workflows/${id}?execution=${ex}`);
  });
});
