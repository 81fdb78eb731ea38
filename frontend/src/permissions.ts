/** What the caller may do, from GET /api/me (the API re-checks every call). */
import type { Me } from './api/types';

export interface Abilities {
  edit: boolean;
  validate: boolean;
  publish: boolean;
  run: boolean;
  readExecutions: boolean;
}

export function abilitiesOf(me: Me | null): Abilities {
  const has = (perm: string) => Boolean(me?.permissions.includes(perm));
  return {
    edit: has('workflow.edit'),
    validate: has('workflow.validate'),
    publish: has('workflow.publish'),
    run: has('workflow.run'),
    readExecutions: has('execution.read'),
  };
}
