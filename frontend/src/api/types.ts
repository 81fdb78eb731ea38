/** Shapes of the CRM API (crm/api/schemas) the builder uses. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type JSONSchema = Record<string, unknown>;

export interface Me {
  user: { id: number; username: string; email: string };
  tenant: { slug: string; name: string };
  role: string;
  permissions: string[];
  auth: string;
}

export interface Category {
  id: string;
  label: string;
}

export interface NodeTypeSpec {
  type: string;
  label: string;
  category: string;
  summary: string;
  description: string;
  handles: string[];
  dynamic_handles: boolean;
  resources: string[];
  is_trigger: boolean;
  type_version: number;
  config_schema: JSONSchema;
}

export interface Catalogue {
  categories: Category[];
  node_types: NodeTypeSpec[];
  node_settings_schema?: JSONSchema;
  error_handle?: string;
}

export interface WorkflowSettings {
  retry_count: number;
  timeout_minutes: number;
  max_executions_per_hour: number;
}

export interface Workflow {
  id: string;
  name: string;
  description: string;
  status: 'draft' | 'active' | 'paused' | 'archived';
  trigger_type: string;
  trigger_config: JsonObject;
  settings: WorkflowSettings;
  current_version: number | null;
  created_at: string;
  updated_at: string;
}

export interface WorkflowDetail extends Workflow {
  definition: JsonObject;
}

export interface Page<T> {
  items: T[];
  count: number;
  limit: number;
  offset: number;
}

export interface ValidationIssue {
  code: string;
  message: string;
  node_id: string | null;
  edge_id: string | null;
  field: string | null;
}

export interface Validation {
  ok: boolean;
  errors: ValidationIssue[];
}

export interface Version {
  number: number;
  settings: JsonObject;
  published_by: string | null;
  published_at: string;
}

export interface VersionDetail extends Version {
  workflow_id: string;
  definition: JsonObject;
}

export type NodeRunStatus = 'pending' | 'running' | 'success' | 'failed' | 'skipped' | 'waiting';
export type ExecutionStatus = 'pending' | 'running' | 'waiting' | 'success' | 'failed' | 'canceled';

export interface Execution {
  id: string;
  workflow_id: string | null;
  workflow_name: string | null;
  version_number: number | null;
  source: string;
  status: ExecutionStatus;
  started_at: string;
  completed_at: string | null;
  duration_ms: number | null;
  dagster_run_id: string;
  error: string;
  dagster_run_url?: string;
}

export interface NodeLog {
  node_id: string;
  type: string;
  label: string;
  status: NodeRunStatus;
  attempt: number;
  item_index: number | null;
  input: JsonValue;
  output: JsonValue;
  output_handle: string;
  error: JsonObject | null;
  duration_ms: number | null;
  started_at: string | null;
  completed_at: string | null;
}

export interface RunStarted {
  execution_id: string;
  status: ExecutionStatus;
  dagster_run_id: string;
  dagster_run_url: string;
}

/** Messages of GET /api/executions/{id}/events (server-sent events, JSON data). */
export type ExecutionEvent =
  | { type: 'snapshot'; execution: Execution; logs: NodeLog[] }
  | { type: 'node'; log: NodeLog }
  | { type: 'execution'; execution: Execution }
  | { type: 'end'; status: ExecutionStatus };

/** A tenant pipeline (`GET /api/pipelines`); `fields` are its optional field declarations. */
export interface Pipeline {
  slug: string;
  name: string;
  fields: unknown[];
}

export interface Webhook {
  url: string;
  created_at: string;
  rotated_at: string | null;
  secret: string | null;
  secret_header: string;
  signature: string;
}

export interface NextRuns {
  cron: string;
  timezone: string;
  next_runs: string[];
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'canceled';

/** GET /api/approvals, /api/approvals/{id} (crm/api/routers/approvals.py). */
export interface Approval {
  id: string;
  status: ApprovalStatus;
  title: string;
  description: string;
  data: JsonValue;
  execution_id: string;
  workflow_id: string | null;
  node_id: string;
  assigned_to: string | null;
  assigned_role: string | null;
  requested_at: string;
  expires_at: string | null;
  decided_by: string | null;
  decided_at: string | null;
  note: string;
  can_decide: boolean;
}

export type Decision = 'approve' | 'reject';
