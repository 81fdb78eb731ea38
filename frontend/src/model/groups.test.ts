/** For-each groups: dropping into a group, relative positions, round trip, copy/paste, layout. */
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { definitionSchema } from '../test/fixtures';
import { copySelection, pasteContent, withPasted } from './clipboard';
import { connectionProblem } from './connection';
import { fromFlow, toFlow, type StepNode } from './definition';
import {
  absolutePosition,
  absoluteRect,
  descendantsOf,
  fitGroups,
  GROUP_HEADER,
  GROUP_HEIGHT,
  GROUP_WIDTH,
  groupAt,
  relativeTo,
  reparent,
  settleNode,
  sortParentsFirst,
} from './groups';
import { loopSuggestions } from './expressions';
import { layoutNodes } from './layout';

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validDefinition = ajv.compile(definitionSchema);

const step = (id: string, nodeType: string, x: number, y: number, parentId?: string): StepNode => ({
  id,
  type: nodeType === 'for_each' ? 'forEach' : 'step',
  position: { x, y },
  data: { nodeType, label: id, config: {} },
  ...(parentId ? { parentId } : {}),
  ...(nodeType === 'for_each' ? { width: GROUP_WIDTH, height: GROUP_HEIGHT } : {}),
});

// trigger, find; loop at (100, 300) 480×300 holding update and an inner loop (at 200, 80 in it,
// so at 300, 380 on the canvas, 480×300 too: it sticks out, as drawn by hand).
const canvas = (): StepNode[] => [
  step('trigger', 'trigger', 0, 0),
  step('find', 'record_find', 0, 150),
  step('loop', 'for_each', 100, 300),
  step('update', 'record_update', 20, 80, 'loop'),
  step('inner', 'for_each', 200, 80, 'loop'),
  step('notify', 'task_notify', 30, 90, 'inner'),
];

describe('dropping into a group', () => {
  it('finds the innermost group under the pointer, or none', () => {
    const nodes = canvas();
    expect(groupAt({ x: 50, y: 50 }, nodes)).toBeNull();
    expect(groupAt({ x: 150, y: 350 }, nodes)).toBe('loop');
    expect(groupAt({ x: 400, y: 450 }, nodes)).toBe('inner');
    expect(groupAt({ x: 700, y: 650 }, nodes)).toBe('inner'); // beyond loop, still in inner
  });

  it('never offers a group to itself or to a group inside it', () => {
    const nodes = canvas();
    expect(groupAt({ x: 400, y: 450 }, nodes, 'inner')).toBe('loop');
    expect(groupAt({ x: 400, y: 450 }, nodes, 'loop')).toBeNull();
  });

  it('positions a dropped node relative to its group', () => {
    const nodes = canvas();
    expect(relativeTo({ x: 160, y: 420 }, 'loop', nodes)).toEqual({ x: 60, y: 120 });
    expect(relativeTo({ x: 360, y: 470 }, 'inner', nodes)).toEqual({ x: 60, y: 90 });
    expect(relativeTo({ x: 5, y: 6 }, null, nodes)).toEqual({ x: 5, y: 6 });
  });

  it('computes canvas positions through nested groups', () => {
    const nodes = canvas();
    expect(absolutePosition('update', nodes)).toEqual({ x: 120, y: 380 });
    expect(absolutePosition('notify', nodes)).toEqual({ x: 330, y: 470 });
    expect(absoluteRect('inner', nodes)).toEqual({ x: 300, y: 380, width: GROUP_WIDTH, height: GROUP_HEIGHT });
    expect(descendantsOf('loop', nodes).sort()).toEqual(['inner', 'notify', 'update']);
  });
});

describe('moving nodes in and out of groups', () => {
  it('puts a node dragged over a group into it, where it was on the canvas', () => {
    // find dragged to (150, 420) on the canvas: its centre is inside loop (not inner).
    const nodes = canvas().map((n) => (n.id === 'find' ? { ...n, position: { x: 120, y: 400 } } : n));
    const after = settleNode(nodes, 'find');
    const find = after.find((n) => n.id === 'find')!;
    expect(find.parentId).toBe('loop');
    expect(find.position).toEqual({ x: 20, y: 100 });
    expect(absolutePosition('find', after)).toEqual({ x: 120, y: 400 });
    // React Flow's order: the group before its new child.
    expect(after.findIndex((n) => n.id === 'loop')).toBeLessThan(after.findIndex((n) => n.id === 'find'));
  });

  it('takes a node dragged out of its group out (parentId cleared, canvas position kept)', () => {
    const nodes = canvas().map((n) => (n.id === 'update' ? { ...n, position: { x: -600, y: -200 } } : n));
    const after = settleNode(nodes, 'update');
    const update = after.find((n) => n.id === 'update')!;
    expect(update.parentId).toBeUndefined();
    expect(update.position).toEqual({ x: -500, y: 100 });
  });

  it('moves a node from a group into a group nested in it, and a group into another', () => {
    let nodes = reparent(canvas(), 'update', 'inner');
    expect(nodes.find((n) => n.id === 'update')!.parentId).toBe('inner');
    // It was left of inner (at 120, 380 on the canvas): it is moved just inside, below the header.
    expect(nodes.find((n) => n.id === 'update')!.position).toEqual({ x: 12, y: GROUP_HEADER });
    expect(absolutePosition('update', nodes)).toEqual({ x: 312, y: 380 + GROUP_HEADER });
    nodes = reparent(nodes, 'inner', null);
    expect(nodes.find((n) => n.id === 'inner')!.parentId).toBeUndefined();
    expect(absolutePosition('notify', nodes)).toEqual({ x: 330, y: 470 }); // the body moved along
  });

  it('refuses to put a group inside itself or its own body', () => {
    const nodes = canvas();
    expect(reparent(nodes, 'loop', 'inner')).toBe(nodes);
    expect(reparent(nodes, 'loop', 'loop')).toBe(nodes);
  });

  it('grows a group (and the groups around it) until its body fits', () => {
    const nodes = fitGroups(canvas());
    const inner = nodes.find((n) => n.id === 'inner')!;
    const loop = nodes.find((n) => n.id === 'loop')!;
    expect(loop.width).toBeGreaterThanOrEqual(200 + inner.width! + 1);
    expect(loop.height).toBeGreaterThanOrEqual(80 + inner.height! + 1);
    const tooHigh = fitGroups([step('g', 'for_each', 0, 0), step('c', 'wait_delay', -40, 5, 'g')]);
    expect(tooHigh[1].position.x).toBeGreaterThanOrEqual(0);
    expect(tooHigh[1].position.y).toBeGreaterThan(5); // below the group's header
  });

  it('keeps parents before children', () => {
    const order = sortParentsFirst([
      { id: 'c', parentId: 'b' },
      { id: 'b', parentId: 'a' },
      { id: 'a' },
      { id: 'x' },
    ]).map((n) => n.id);
    expect(order).toEqual(['a', 'x', 'b', 'c']);
  });
});

describe('serialisation of groups', () => {
  const definition = {
    nodes: [
      // A child listed before its group: React Flow gets the group first.
      { id: 'update', type: 'record_update', position: { x: 24, y: 88 }, parentId: 'each', data: { label: 'U', config: { pipeline: 'deals', record_id: '{{ item.id }}', data: { stage: 'won' } } } },
      { id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, data: { label: 'T', config: {} } },
      { id: 'find', type: 'record_find', position: { x: 0, y: 120 }, data: { label: 'F', config: { pipeline: 'deals' } } },
      { id: 'each', type: 'for_each', position: { x: -100, y: 240 }, width: 520, height: 340, data: { label: 'E', config: { items: '{{ nodes.find.records }}' } } },
      { id: 'deeper', type: 'for_each', position: { x: 280, y: 88 }, parentId: 'each', data: { label: 'D', config: { items: '{{ item.data.tags }}' } } },
      { id: 'note', type: 'task_notify', position: { x: 20, y: 80 }, parentId: 'deeper', data: { label: 'N', config: { title: '{{ item }}' } } },
    ],
    edges: [
      { id: 'e1', source: 'trigger', target: 'find' },
      { id: 'e2', source: 'find', target: 'each' },
      { id: 'e3', source: 'each', target: 'update', sourceHandle: 'item' },
      { id: 'e4', source: 'each', target: 'deeper', sourceHandle: 'item' },
      { id: 'e5', source: 'deeper', target: 'note', sourceHandle: 'item' },
    ],
    viewport: { x: 0, y: 0, zoom: 1 },
  };

  it('draws for_each nodes as groups with their size, children after their group', () => {
    const flow = toFlow(definition);
    const ids = flow.nodes.map((n) => n.id);
    expect(ids.indexOf('each')).toBeLessThan(ids.indexOf('update'));
    expect(ids.indexOf('deeper')).toBeLessThan(ids.indexOf('note'));
    const each = flow.nodes.find((n) => n.id === 'each')!;
    expect(each).toMatchObject({ type: 'forEach', width: 520, height: 340 });
    expect(flow.nodes.find((n) => n.id === 'deeper')).toMatchObject({ type: 'forEach', parentId: 'each', width: GROUP_WIDTH, height: GROUP_HEIGHT });
    expect(flow.nodes.find((n) => n.id === 'update')).toMatchObject({ type: 'step', parentId: 'each', position: { x: 24, y: 88 } });
  });

  it('saves parentId, relative positions and group sizes, in the server schema', () => {
    const back = fromFlow(toFlow(definition));
    const byId = new Map(back.nodes.map((n) => [n.id, n]));
    for (const node of definition.nodes) {
      expect(byId.get(node.id)).toEqual(
        node.id === 'deeper' ? { ...node, width: GROUP_WIDTH, height: GROUP_HEIGHT } : node,
      );
    }
    expect(back.edges).toEqual(definition.edges);
    expect(validDefinition(back), JSON.stringify(validDefinition.errors)).toBe(true);
    // And once more: stable.
    expect(fromFlow(toFlow(back))).toEqual(back);
  });

  it('saves a node dropped into a group with its parentId', () => {
    const flow = toFlow(definition);
    const nodes = settleNode(
      [...flow.nodes, { ...step('wait', 'wait_delay', -80, 400) }],
      'wait',
    );
    const saved = fromFlow({ ...flow, nodes }).nodes.find((n) => n.id === 'wait')!;
    expect(saved).toMatchObject({ parentId: 'each', position: { x: 20, y: 160 }, type: 'wait_delay' });
  });
});

describe('copy and paste of a group', () => {
  const nodes = (): StepNode[] =>
    canvas().map((n) => (n.id === 'loop' ? { ...n, selected: true } : n));
  const edges = [
    { id: 'e1', source: 'find', target: 'loop' },
    { id: 'e2', source: 'loop', target: 'update', sourceHandle: 'item' },
    { id: 'e3', source: 'loop', target: 'inner', sourceHandle: 'item' },
    { id: 'e4', source: 'inner', target: 'notify', sourceHandle: 'item' },
  ];

  it('copies the group with its whole body and the edges inside', () => {
    const content = copySelection(nodes(), edges)!;
    expect(content.nodes.map((n) => n.id)).toEqual(['loop', 'update', 'inner', 'notify']);
    expect(content.edges.map((e) => e.id)).toEqual(['e2', 'e3', 'e4']);
  });

  it('pastes it under fresh ids, the body in the new group at the same place', () => {
    const existing = canvas();
    const pasted = pasteContent(copySelection(nodes(), edges)!, existing, (t) => t === 'trigger');
    const byId = new Map(pasted.nodes.map((n) => [n.id, n]));
    expect([...byId.keys()]).toEqual(['for_each_1', 'record_update_1', 'for_each_2', 'task_notify_1']);
    expect(byId.get('for_each_1')!.parentId).toBeUndefined();
    expect(byId.get('for_each_1')).toMatchObject({ position: { x: 140, y: 340 }, selected: true, width: GROUP_WIDTH });
    expect(byId.get('record_update_1')).toMatchObject({ parentId: 'for_each_1', position: { x: 20, y: 80 }, selected: false });
    expect(byId.get('for_each_2')).toMatchObject({ parentId: 'for_each_1', position: { x: 200, y: 80 } });
    expect(byId.get('task_notify_1')).toMatchObject({ parentId: 'for_each_2', position: { x: 30, y: 90 } });
    expect(pasted.edges).toEqual([
      expect.objectContaining({ source: 'for_each_1', target: 'record_update_1', sourceHandle: 'item' }),
      expect.objectContaining({ source: 'for_each_1', target: 'for_each_2', sourceHandle: 'item' }),
      expect.objectContaining({ source: 'for_each_2', target: 'task_notify_1', sourceHandle: 'item' }),
    ]);
    // The canvas after the paste round-trips with the new group's parentIds.
    const all = withPasted(existing, pasted.nodes);
    const saved = fromFlow({ nodes: all, edges: [...edges, ...pasted.edges], viewport: { x: 0, y: 0, zoom: 1 }, extra: {} });
    expect(saved.nodes.find((n) => n.id === 'task_notify_1')!.parentId).toBe('for_each_2');
    expect(validDefinition(saved)).toBe(true);
  });

  it('pastes a body node copied alone into its group, or at top level when the group is gone', () => {
    const selected = canvas().map((n) => (n.id === 'update' ? { ...n, selected: true } : n));
    const content = copySelection(selected, edges)!;
    const same = pasteContent(content, canvas(), () => false);
    expect(same.nodes[0]).toMatchObject({ parentId: 'loop', position: { x: 60, y: 120 } });
    const gone = pasteContent(content, canvas().filter((n) => n.id === 'trigger'), () => false);
    expect(gone.nodes[0].parentId).toBeUndefined();
    expect(gone.nodes[0].position).toEqual({ x: 160, y: 420 }); // its canvas position + offset
  });
});

describe('auto-layout with groups', () => {
  it('lays the body out inside its group, below the header, and the group fits it', () => {
    const edges = [
      { id: 'a', source: 'trigger', target: 'find' },
      { id: 'b', source: 'find', target: 'loop' },
      { id: 'c', source: 'loop', target: 'update', sourceHandle: 'item' },
      { id: 'd', source: 'loop', target: 'inner', sourceHandle: 'item' },
      { id: 'f', source: 'inner', target: 'notify', sourceHandle: 'item' },
    ];
    const laid = layoutNodes(canvas(), edges);
    const byId = new Map(laid.map((n) => [n.id, n]));
    for (const id of ['update', 'inner', 'notify']) {
      const node = byId.get(id)!;
      const parent = byId.get(node.parentId!)!;
      expect(node.parentId).toBe(canvas().find((n) => n.id === id)!.parentId);
      expect(node.position.x).toBeGreaterThanOrEqual(0);
      expect(node.position.y).toBeGreaterThan(40);
      const size = node.width ? { w: node.width, h: node.height! } : { w: 220, h: 72 };
      expect(node.position.x + size.w).toBeLessThanOrEqual(parent.width!);
      expect(node.position.y + size.h).toBeLessThanOrEqual(parent.height!);
    }
    // Top level: the trigger above find above the loop.
    expect(byId.get('trigger')!.position.y).toBeLessThan(byId.get('find')!.position.y);
    expect(byId.get('find')!.position.y).toBeLessThan(byId.get('loop')!.position.y);
  });
});

describe('connections across group boundaries (the server E019/E020)', () => {
  const nodes = canvas();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ctx = {
    isTrigger: (id: string) => id === 'trigger',
    edges: [],
    parentOf: (id: string) => byId.get(id)?.parentId ?? null,
    typeOf: (id: string) => byId.get(id)?.data.nodeType,
  };
  const c = (source: string, target: string, sourceHandle: string | null = null) =>
    connectionProblem({ source, target, sourceHandle, targetHandle: null }, ctx);

  it('enters a group only from its for-each item handle', () => {
    expect(c('loop', 'update', 'item')).toBeNull();
    expect(c('inner', 'notify', 'item')).toBeNull();
    expect(c('find', 'update')).toMatch(/boundary/);
    expect(c('loop', 'notify', 'item')).toMatch(/item/); // not its own group's child
    expect(c('loop', 'find', 'item')).toMatch(/item/);
  });

  it('leaves it only through done, to the nodes beside the group', () => {
    expect(c('find', 'loop')).toBeNull();
    expect(c('loop', 'update', 'done')).toMatch(/after the loop/);
    expect(c('inner', 'update', 'done')).toBeNull(); // beside inner, inside loop
    expect(c('update', 'find')).toMatch(/boundary/);
  });
});

describe('expression help inside a group', () => {
  it('offers item and index of the innermost loop, nothing outside groups', () => {
    const nodes = canvas();
    expect(loopSuggestions('notify', nodes).map((s) => s.expression)).toEqual(['{{ item }}', '{{ index }}']);
    expect(loopSuggestions('notify', nodes)[0].hint).toContain('inner');
    expect(loopSuggestions('find', nodes)).toEqual([]);
  });
});
