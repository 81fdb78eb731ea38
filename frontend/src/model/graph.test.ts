/** Connections the canvas refuses, upstream nodes, fresh ids, copy and paste. */
import { describe, expect, it } from 'vitest';
import { pasteContent } from './clipboard';
import { connectionProblem } from './connection';
import type { StepNode } from './definition';
import { freshNodeId, upstreamOf, wouldCycle } from './graph';
import { triggerSuggestions, upstreamSuggestions } from './expressions';

const edges = [
  { id: 'e1', source: 'trigger', target: 'find', sourceHandle: null },
  { id: 'e2', source: 'find', target: 'cond', sourceHandle: null },
  { id: 'e3', source: 'cond', target: 'update', sourceHandle: 'true' },
];
const ctx = { isTrigger: (id: string) => id === 'trigger', edges };

describe('connections', () => {
  it('accepts a new forward edge', () => {
    expect(connectionProblem({ source: 'cond', target: 'notify', sourceHandle: 'false', targetHandle: null }, ctx)).toBeNull();
  });
  it('refuses cycles, self loops, edges into the trigger and duplicates', () => {
    expect(connectionProblem({ source: 'update', target: 'find', sourceHandle: null, targetHandle: null }, ctx)).toMatch(/cycle/);
    expect(connectionProblem({ source: 'find', target: 'find', sourceHandle: null, targetHandle: null }, ctx)).toMatch(/itself/);
    expect(connectionProblem({ source: 'find', target: 'trigger', sourceHandle: null, targetHandle: null }, ctx)).toMatch(/trigger/);
    expect(connectionProblem({ source: 'cond', target: 'update', sourceHandle: 'true', targetHandle: null }, ctx)).toMatch(/already/);
  });
  it('lets the other branch reach the same node', () => {
    expect(connectionProblem({ source: 'cond', target: 'update', sourceHandle: 'false', targetHandle: null }, ctx)).toBeNull();
  });
});

describe('graph', () => {
  it('lists upstream nodes nearest first', () => {
    expect(upstreamOf('update', edges)).toEqual(['cond', 'find', 'trigger']);
    expect(wouldCycle('update', 'trigger', edges)).toBe(true);
    expect(wouldCycle('trigger', 'update', edges)).toBe(false);
  });
  it('makes ids that read well in expressions', () => {
    expect(freshNodeId('record_find', ['record_find_1', 'record_find_3'])).toBe('record_find_2');
  });
});

const node = (id: string, nodeType: string, config = {}): StepNode => ({
  id,
  type: 'step',
  position: { x: 0, y: 0 },
  data: { nodeType, label: id, config },
});

describe('expression help', () => {
  const nodes = [
    node('trigger', 'trigger', { sample_payload: { min_amount: 5, region: 'eu' } }),
    node('find', 'record_find'),
    node('cond', 'condition'),
    node('update', 'record_update'),
  ];
  const isTrigger = (type: string) => type === 'trigger';
  it('offers the trigger payload keys', () => {
    expect(triggerSuggestions(nodes, isTrigger).map((s) => s.expression)).toEqual([
      '{{ trigger.min_amount }}',
      '{{ trigger.region }}',
    ]);
  });
  it('offers upstream nodes, and their output keys from the last run', () => {
    const outputs = new Map([['find', { records: [], count: 0 }]]);
    expect(upstreamSuggestions('update', nodes, edges, isTrigger, outputs).map((s) => s.expression)).toEqual([
      '{{ nodes.cond }}',
      '{{ nodes.find }}',
      '{{ nodes.find.records }}',
      '{{ nodes.find.count }}',
    ]);
  });
});

describe('paste', () => {
  it('gives pasted nodes fresh ids, keeps edges between them and skips a second trigger', () => {
    const content = {
      nodes: [node('trigger', 'trigger'), node('find', 'record_find'), node('cond', 'condition')],
      edges: [
        { id: 'e1', source: 'trigger', target: 'find' },
        { id: 'e2', source: 'find', target: 'cond', sourceHandle: null },
      ],
    };
    const existing = [node('trigger', 'trigger'), node('record_find_1', 'record_find')];
    const pasted = pasteContent(content, existing, (t) => t === 'trigger');
    expect(pasted.nodes.map((n) => n.id)).toEqual(['record_find_2', 'condition_1']);
    expect(pasted.edges).toHaveLength(1);
    expect(pasted.edges[0]).toMatchObject({ source: 'record_find_2', target: 'condition_1' });
    expect(pasted.nodes[0].position).toEqual({ x: 40, y: 40 });
  });
});
