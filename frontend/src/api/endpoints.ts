/** The API calls the builder makes, typed. */
import { api, apiUrl, currentTenant } from './client';
import type {
  Approval,
  ApprovalStatus,
  Catalogue,
  Decision,
  Execution,
  JsonObject,
  Me,
  NextRuns,
  Page,
  Pipeline,
  RunStarted,
  Validation,
  Version,
  VersionDetail,
  Workflow,
  WorkflowDetail,
  Webhook,
} from './types';

export const getMe = () => api<Me>('GET', '/me');
export const getCatalogue = () => api<Catalogue>('GET', '/catalogue');

export const listWorkflows = (q = '') =>
  api<Page<Workflow>>('GET', '/workflows', undefined, { q: q || undefined, limit: '200' });
export const createWorkflow = (name: string, description: string, definition: JsonObject) =>
  api<WorkflowDetail>('POST', '/workflows', { name, description, definition });
export const getWorkflow = (id: string) => api<WorkflowDetail>('GET', `/workflows/${id}`);
export const saveDraft = (id: string, definition: JsonObject) =>
  api<WorkflowDetail>('PATCH', `/workflows/${id}`, { definition });
export const renameWorkflow = (id: string, name: string) =>
  api<WorkflowDetail>('PATCH', `/workflows/${id}`, { name });

export const validateDefinition = (id: string, definition: JsonObject) =>
  api<Validation>('POST', `/workflows/${id}/validate`, { definition });
export const publish = (id: string, definition: JsonObject) =>
  api<VersionDetail>('POST', `/workflows/${id}/publish`, { definition });
export const listVersions = (id: string) => api<Version[]>('GET', `/workflows/${id}/versions`);
export const getVersion = (id: string, n: number) =>
  api<VersionDetail>('GET', `/workflows/${id}/versions/${n}`);
export const rollback = (id: string, n: number) =>
  api<VersionDetail>('POST', `/workflows/${id}/versions/${n}/rollback`);

export const runNow = (id: string, payload: JsonObject | null) =>
  api<RunStarted>('POST', `/workflows/${id}/run`, { payload, wait: false });
export const listExecutions = (workflowId: string) =>
  api<Page<Execution>>('GET', '/executions', undefined, { workflow_id: workflowId, limit: '20' });

/** URL of the execution's server-sent-events stream (the tenant as a query parameter). */
export const executionEventsUrl = (executionId: string) =>
  apiUrl(`/executions/${executionId}/events`, { tenant: currentTenant() ?? undefined });

export const listPipelines = () => api<Pipeline[]>('GET', '/pipelines');

export const getWebhook = (id: string) => api<Webhook>('GET', `/workflows/${id}/webhook`);
export const createWebhook = (id: string) => api<Webhook>('POST', `/workflows/${id}/webhook`);
export const rotateWebhook = (id: string, newUrl: boolean) =>
  api<Webhook>('POST', `/workflows/${id}/webhook/rotate`, { new_url: newUrl });
export const getNextRuns = (id: string) =>
  api<NextRuns>('GET', `/workflows/${id}/schedule`, undefined, { count: '5' });

/** Pending approvals the caller may decide (`mine=true`), or the tenant's by status. */
export const listMyApprovals = (limit = 200) =>
  api<Page<Approval>>('GET', '/approvals', undefined, { mine: 'true', limit: String(limit) });
export const listApprovals = (status: ApprovalStatus | null, limit = 200) =>
  api<Page<Approval>>('GET', '/approvals', undefined, { status: status ?? undefined, limit: String(limit) });
export const getApproval = (id: string) => api<Approval>('GET', `/approvals/${id}`);
export const decideApproval = (id: string, decision: Decision, note: string) =>
  api<Approval>('POST', `/approvals/${id}/decide`, { decision, note });
