/** The definition model: a lossless round trip through the canvas, in the server's schema. */
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { definitionSchema, demoWorkflows } from '../test/fixtures';
import { definitionKey, fromFlow, normaliseDefinition, toFlow, type StepNode } from './definition';

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validDefinition = ajv.compile(definitionSchema);

describe('round trip', () => {
  const demos = demoWorkflows();

  it('finds the demo workflows', () => {
    expect(demos.length).toBeGreaterThan(0);
  });

  it.each(demos.map((d) => [d.file, d.definition]))('%s comes back unchanged', (_file, definition) => {
    const back = fromFlow(toFlow(definition));
    // A definition saved without a viewport gets the canvas's default one; nothing else changes.
    expect(back).toEqual({ viewport: { x: 0, y: 0, zoom: 1 }, ...definition });
    expect(validDefinition(back), JSON.stringify(validDefinition.errors)).toBe(true);
  });

  it('keeps keys it does not know: on the definition, nodes, node data and edges', () => {
    const definition = {
      nodes: [
        { id: 'a', type: 'trigger', position: { x: 1, y: 2 }, data: { label: 'A', config: {}, note: 'x' }, typeVersion: 2 },
        { id: 'b', type: 'for_each', position: { x: 0, y: 0 }, data: { label: 'B', config: {} }, width: 400, height: 260 },
        { id: 'c', type: 'wait_delay', position: { x: 5, y: 6 }, data: { label: 'C', config: { seconds: 1 } }, parentId: 'b' },
      ],
      edges: [{ id: 'e', source: 'a', target: 'b', sourceHandle: 'out', label: 'go' }],
      viewport: { x: 1, y: 2, zoom: 0.5 },
      meta: { author: 'someone' },
    };
    expect(fromFlow(toFlow(definition))).toEqual(definition);
  });

  it('keeps node settings and branch handles', () => {
    const definition = {
      nodes: [
        { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { label: 'T', config: {} } },
        {
          id: 'h',
          type: 'http_request',
          position: { x: 0, y: 100 },
          data: { label: 'H', config: { url: 'https://example.com' }, settings: { on_error: 'branch', retry: { count: 2 } } },
        },
        { id: 'n', type: 'task_notify', position: { x: 0, y: 200 }, data: { label: 'N', config: { title: 'x' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'h' },
        { id: 'e2', source: 'h', target: 'n', sourceHandle: 'error' },
      ],
      viewport: { x: 0, y: 0, zoom: 1 },
    };
    expect(fromFlow(toFlow(definition))).toEqual(definition);
  });
});

describe('from the canvas', () => {
  it('drops React Flow state (selection, size, dragging) and stays in the server schema', () => {
    const flow = toFlow({ nodes: [], edges: [] });
    const node: StepNode = {
      id: 'record_find_1',
      type: 'step',
      position: { x: 10.123456, y: 20 },
      selected: true,
      dragging: false,
      measured: { width: 220, height: 80 },
      data: { nodeType: 'record_find', label: 'Find', config: { pipeline: 'deals' } },
    };
    const out = fromFlow({
      ...flow,
      nodes: [node],
      edges: [{ id: 'e', source: 'record_find_1', target: 'x', sourceHandle: null, selected: true, animated: true }],
    });
    expect(out.nodes).toEqual([
      { id: 'record_find_1', type: 'record_find', position: { x: 10.12, y: 20 }, data: { label: 'Find', config: { pipeline: 'deals' } } },
    ]);
    expect(out.edges).toEqual([{ id: 'e', source: 'record_find_1', target: 'x' }]);
    expect(validDefinition(out), JSON.stringify(validDefinition.errors)).toBe(true);
  });

  it('reads an empty draft ({}) as an empty definition', () => {
    expect(normaliseDefinition({})).toEqual({ nodes: [], edges: [], viewport: null });
    expect(toFlow({}).nodes).toEqual([]);
    expect(fromFlow(toFlow({}))).toEqual({ nodes: [], edges: [], viewport: { x: 0, y: 0, zoom: 1 } });
  });

  it('tells changes from viewport moves', () => {
    const a = fromFlow(toFlow({ nodes: [], edges: [], viewport: { x: 0, y: 0, zoom: 1 } }));
    const b = { ...a, viewport: { x: 50, y: 9, zoom: 2 } };
    expect(definitionKey(a)).toBe(definitionKey(b));
    expect(definitionKey(a)).not.toBe(definitionKey({ ...a, nodes: [{ id: 'x', type: 'trigger' }] }));
  });
});
