/** Server validation issues land on the nodes, edges and form fields they name. */
import { describe, expect, it } from 'vitest';
import type { ValidationIssue } from '../api/types';
import { fieldErrorSchema, indexIssues, nodeLevelIssues } from './errors';

const issue = (partial: Partial<ValidationIssue>): ValidationIssue => ({
  code: 'graph.E003',
  message: 'bad',
  node_id: null,
  edge_id: null,
  field: null,
  ...partial,
});

describe('indexIssues', () => {
  const issues = [
    issue({ node_id: 'update', field: 'config.data', message: 'Dictionary should have at least 1 item' }),
    issue({ code: 'graph.E005', node_id: 'cond', edge_id: 'e3', field: 'sourceHandle', message: 'choose an output' }),
    issue({ code: 'graph.E009', message: 'no trigger' }),
    issue({ code: 'graph.E014', node_id: 'ghost', field: 'nodes.3.id', message: 'not well formed' }),
  ];
  const index = indexIssues(issues, new Set(['update', 'cond']), new Set(['e3']));

  it('puts node issues on the node', () => {
    expect(index.byNode.get('update')?.map((i) => i.field)).toEqual(['config.data']);
  });
  it('puts edge issues on the edge and on the node they leave', () => {
    expect(index.byEdge.get('e3')?.[0].code).toBe('graph.E005');
    expect(index.byNode.get('cond')?.[0].code).toBe('graph.E005');
  });
  it('keeps issues naming nothing on the canvas as general ones', () => {
    expect(index.general.map((i) => i.code)).toEqual(['graph.E009', 'graph.E014']);
    expect(index.all).toHaveLength(4);
  });
});

describe('fieldErrorSchema', () => {
  it('nests config paths the way @rjsf expects', () => {
    const issues = [
      issue({ node_id: 'c', field: 'config.rules.0.operator', message: 'unknown operator' }),
      issue({ node_id: 'c', field: 'config.rules.0.operator', message: 'second' }),
      issue({ node_id: 'c', field: 'config.combine', message: 'all or any' }),
      issue({ node_id: 'c', field: 'settings.on_error', message: 'no error edge' }),
    ];
    expect(fieldErrorSchema(issues, 'config')).toEqual({
      rules: { 0: { operator: { __errors: ['unknown operator', 'second'] } } },
      combine: { __errors: ['all or any'] },
    });
    expect(fieldErrorSchema(issues, 'settings')).toEqual({ on_error: { __errors: ['no error edge'] } });
  });

  it('puts an error on the whole config at the form root', () => {
    expect(fieldErrorSchema([issue({ field: 'config', message: 'not an object' })], 'config')).toEqual({
      __errors: ['not an object'],
    });
  });

  it('leaves edge issues and non-form fields to the node-level list', () => {
    const issues = [
      issue({ node_id: 'c', field: 'config.url' }),
      issue({ node_id: 'c', edge_id: 'e', field: 'sourceHandle', message: 'edge' }),
      issue({ node_id: 'c', field: 'type', message: 'unknown type' }),
      issue({ node_id: 'c', field: null, message: 'unreachable' }),
    ];
    expect(fieldErrorSchema(issues, 'config')).toEqual({ url: { __errors: ['bad'] } });
    expect(nodeLevelIssues(issues).map((i) => i.message)).toEqual(['edge', 'unknown type', 'unreachable']);
  });
});
