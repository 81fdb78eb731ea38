/** Server validation issues → per node, per edge, per form field (rjsf error schema). */
import type { ValidationIssue } from '../api/types';

export interface IssueIndex {
  byNode: Map<string, ValidationIssue[]>;
  byEdge: Map<string, ValidationIssue[]>;
  /** Issues about the whole definition, or naming nothing the canvas shows. */
  general: ValidationIssue[];
  all: ValidationIssue[];
}

export const EMPTY_ISSUES: IssueIndex = { byNode: new Map(), byEdge: new Map(), general: [], all: [] };

function push<K>(map: Map<K, ValidationIssue[]>, key: K, issue: ValidationIssue): void {
  const list = map.get(key);
  if (list) list.push(issue);
  else map.set(key, [issue]);
}

export function indexIssues(
  issues: ValidationIssue[],
  nodeIds?: Set<string>,
  edgeIds?: Set<string>,
): IssueIndex {
  const index: IssueIndex = { byNode: new Map(), byEdge: new Map(), general: [], all: issues };
  for (const issue of issues) {
    let placed = false;
    if (issue.edge_id && (!edgeIds || edgeIds.has(issue.edge_id))) {
      push(index.byEdge, issue.edge_id, issue);
      placed = true;
    }
    if (issue.node_id && (!nodeIds || nodeIds.has(issue.node_id))) {
      push(index.byNode, issue.node_id, issue);
      placed = true;
    }
    if (!placed) index.general.push(issue);
  }
  return index;
}

export interface ErrorSchemaNode {
  __errors?: string[];
  [key: string]: ErrorSchemaNode | string[] | undefined;
}

/**
 * The issues whose field lies under `root` ("config" or "settings"), as an rjsf error schema:
 * "config.rules.0.operator" → {rules: {0: {operator: {__errors: [message]}}}}.
 */
export function fieldErrorSchema(issues: ValidationIssue[], root: 'config' | 'settings'): ErrorSchemaNode {
  const schema: ErrorSchemaNode = {};
  for (const issue of issues) {
    if (!issue.field || issue.edge_id) continue;
    const parts = issue.field.split('.');
    if (parts[0] !== root) continue;
    let node = schema;
    for (const part of parts.slice(1)) {
      node[part] = (node[part] as ErrorSchemaNode | undefined) ?? {};
      node = node[part] as ErrorSchemaNode;
    }
    node.__errors = [...(node.__errors ?? []), issue.message];
  }
  return schema;
}

/** The issues of a node not shown on a config or settings field (label, type, edges...). */
export function nodeLevelIssues(issues: ValidationIssue[]): ValidationIssue[] {
  return issues.filter((issue) => {
    if (issue.edge_id || !issue.field) return true;
    const root = issue.field.split('.')[0];
    return root !== 'config' && root !== 'settings';
  });
}

/** Top-level config fields with an error (to point at in a summary). */
export function fieldsWithIssues(issues: ValidationIssue[]): string[] {
  return [...new Set(issues.filter((i) => i.field && !i.edge_id).map((i) => i.field as string))];
}
