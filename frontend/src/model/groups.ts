/**
 * For-each groups on the canvas (React Flow sub-flows). A node whose `parentId` is a for_each
 * node is in that for-each's body; its position is relative to the group's top-left corner.
 * The server's rules (automation/graph_factory/loop_checks.py): a parent must be a for_each,
 * groups may nest but not contain each other, the trigger is never inside a group, a group is
 * entered only from its for-each's `item` handle and left only through `done`/`error`.
 *
 * Pure functions over nodes, so the editor and the unit tests share them.
 */
import type { Node } from '@xyflow/react';

export const FOR_EACH = 'for_each';
export const ITEM_HANDLE = 'item';
/** The group's default size, and the room kept around its body. */
export const GROUP_WIDTH = 480;
export const GROUP_HEIGHT = 300;
export const GROUP_HEADER = 76;
export const GROUP_PADDING = 24;
const STEP_WIDTH = 220;
const STEP_HEIGHT = 72;

interface Point {
  x: number;
  y: number;
}
export interface Rect extends Point {
  width: number;
  height: number;
}

type AnyNode = Node<{ nodeType: string }>;

export function isGroup(node: { data: { nodeType: string } } | undefined): boolean {
  return node?.data.nodeType === FOR_EACH;
}

/** A node's size: measured by React Flow, else its own width/height, else the default. */
export function nodeSize(node: AnyNode): { width: number; height: number } {
  const style = (node.style ?? {}) as { width?: unknown; height?: unknown };
  const group = isGroup(node);
  const pick = (measured: number | undefined, own: number | undefined, styled: unknown, fallback: number) =>
    own ?? (typeof styled === 'number' ? styled : undefined) ?? measured ?? fallback;
  return {
    width: pick(node.measured?.width, node.width, style.width, group ? GROUP_WIDTH : STEP_WIDTH),
    height: pick(node.measured?.height, node.height, style.height, group ? GROUP_HEIGHT : STEP_HEIGHT),
  };
}

/** The ids of a node's enclosing groups, innermost first (stops on a cycle). */
export function ancestorsOf<N extends AnyNode>(nodeId: string, nodes: N[] | Map<string, N>): string[] {
  const byId = nodes instanceof Map ? nodes : new Map(nodes.map((n) => [n.id, n]));
  const chain: string[] = [];
  let current = byId.get(nodeId)?.parentId;
  while (current && !chain.includes(current) && current !== nodeId) {
    chain.push(current);
    current = byId.get(current)?.parentId;
  }
  return chain;
}

/** Every node inside a group, at any depth. */
export function descendantsOf<N extends AnyNode>(groupId: string, nodes: N[]): string[] {
  const found: string[] = [];
  const queue = [groupId];
  while (queue.length) {
    const current = queue.shift()!;
    for (const node of nodes) {
      if (node.parentId === current && !found.includes(node.id) && node.id !== groupId) {
        found.push(node.id);
        queue.push(node.id);
      }
    }
  }
  return found;
}

/** Where a node is on the canvas (its position plus its groups' positions). */
export function absolutePosition<N extends AnyNode>(nodeId: string, nodes: N[] | Map<string, N>): Point {
  const byId = nodes instanceof Map ? nodes : new Map(nodes.map((n) => [n.id, n]));
  const node = byId.get(nodeId);
  if (!node) return { x: 0, y: 0 };
  let { x, y } = node.position;
  for (const parentId of ancestorsOf(nodeId, byId)) {
    const parent = byId.get(parentId);
    if (!parent) break;
    x += parent.position.x;
    y += parent.position.y;
  }
  return { x, y };
}

export function absoluteRect<N extends AnyNode>(nodeId: string, nodes: N[] | Map<string, N>): Rect {
  const byId = nodes instanceof Map ? nodes : new Map(nodes.map((n) => [n.id, n]));
  const node = byId.get(nodeId);
  return { ...absolutePosition(nodeId, byId), ...(node ? nodeSize(node) : { width: 0, height: 0 }) };
}

function contains(rect: Rect, point: Point): boolean {
  return point.x >= rect.x && point.x <= rect.x + rect.width && point.y >= rect.y && point.y <= rect.y + rect.height;
}

/**
 * The innermost for-each group under a canvas point, or null. `excluding` (a node being moved)
 * and the groups inside it are never candidates: a group cannot go into itself.
 */
export function groupAt<N extends AnyNode>(point: Point, nodes: N[], excluding?: string): string | null {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const banned = new Set(excluding ? [excluding, ...descendantsOf(excluding, nodes)] : []);
  let best: string | null = null;
  let bestDepth = -1;
  for (const node of nodes) {
    if (!isGroup(node) || banned.has(node.id)) continue;
    if (!contains(absoluteRect(node.id, byId), point)) continue;
    const depth = ancestorsOf(node.id, byId).length;
    if (depth > bestDepth) {
      best = node.id;
      bestDepth = depth;
    }
  }
  return best;
}

/** React Flow wants parents before their children in the array: keep order otherwise. */
export function sortParentsFirst<N extends { id: string; parentId?: string }>(nodes: N[]): N[] {
  const ids = new Set(nodes.map((n) => n.id));
  const placed = new Set<string>();
  const out: N[] = [];
  let pending = nodes;
  while (pending.length) {
    const next: N[] = [];
    for (const node of pending) {
      if (!node.parentId || !ids.has(node.parentId) || placed.has(node.parentId)) {
        out.push(node);
        placed.add(node.id);
      } else {
        next.push(node);
      }
    }
    if (next.length === pending.length) return [...out, ...next]; // a parent cycle: give up
    pending = next;
  }
  return out;
}

/**
 * Grow groups so that their children fit (a child never sticks out of its group: the same
 * effect as React Flow's `extent: 'parent'`, but a node can still be dragged out). A child above
 * or left of the group's body is moved in. Inner groups first, so outer ones fit grown inner ones.
 */
export function fitGroups<N extends AnyNode>(nodes: N[]): N[] {
  const byId = new Map(nodes.map((n) => [n.id, { ...n }]));
  const groups = [...byId.values()]
    .filter((n) => isGroup(n))
    .sort((a, b) => ancestorsOf(b.id, byId).length - ancestorsOf(a.id, byId).length);
  const changed = new Set<string>();
  for (const group of groups) {
    const children = [...byId.values()].filter((n) => n.parentId === group.id);
    if (!children.length) continue;
    let { width, height } = nodeSize(group);
    for (const child of children) {
      let { x, y } = child.position;
      if (x < GROUP_PADDING / 2 || y < GROUP_HEADER) {
        x = Math.max(x, GROUP_PADDING / 2);
        y = Math.max(y, GROUP_HEADER);
        byId.set(child.id, { ...child, position: { x, y } });
        changed.add(child.id);
      }
      const size = nodeSize(child);
      width = Math.max(width, x + size.width + GROUP_PADDING);
      height = Math.max(height, y + size.height + GROUP_PADDING);
    }
    const current = nodeSize(group);
    if (width !== current.width || height !== current.height) {
      byId.set(group.id, { ...byId.get(group.id)!, width, height });
      changed.add(group.id);
    }
  }
  if (!changed.size) return nodes;
  return nodes.map((n) => (changed.has(n.id) ? byId.get(n.id)! : n));
}

/**
 * Put a node into a group (or out of every group with `parentId` null), keeping it where it
 * is on the canvas: its position becomes relative to the new group. The groups then grow to fit.
 */
export function reparent<N extends AnyNode>(nodes: N[], nodeId: string, parentId: string | null): N[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const node = byId.get(nodeId);
  if (!node || (node.parentId ?? null) === parentId) return nodes;
  if (parentId && (parentId === nodeId || descendantsOf(nodeId, nodes).includes(parentId))) return nodes;
  const absolute = absolutePosition(nodeId, byId);
  const origin = parentId ? absolutePosition(parentId, byId) : { x: 0, y: 0 };
  const moved = { ...node, position: { x: absolute.x - origin.x, y: absolute.y - origin.y } } as N;
  if (parentId) moved.parentId = parentId;
  else delete moved.parentId;
  delete moved.extent;
  return fitGroups(sortParentsFirst(nodes.map((n) => (n.id === nodeId ? moved : n))));
}

/**
 * After a node was dropped or dragged: it belongs to the innermost group under its centre (or
 * to none). Returns the nodes with it moved into that group and the groups grown to fit.
 */
export function settleNode<N extends AnyNode>(nodes: N[], nodeId: string): N[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const node = byId.get(nodeId);
  if (!node) return nodes;
  const rect = absoluteRect(nodeId, byId);
  const centre = { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
  const target = groupAt(centre, nodes, nodeId);
  if ((node.parentId ?? null) === target) return fitGroups(nodes);
  return reparent(nodes, nodeId, target);
}

/** A node placed at an absolute canvas position inside `parentId` (or at top level). */
export function relativeTo<N extends AnyNode>(point: Point, parentId: string | null, nodes: N[]): Point {
  if (!parentId) return point;
  const origin = absolutePosition(parentId, nodes);
  return { x: point.x - origin.x, y: point.y - origin.y };
}

/**
 * Why an edge would break the group rules (the server's E019/E020), or null. `parents` maps a
 * node id to its group; `types` a node id to its node type.
 */
export function groupEdgeProblem(
  edge: { source: string; target: string; sourceHandle?: string | null },
  parentOf: (id: string) => string | null,
  typeOf: (id: string) => string | undefined,
): string | null {
  const { source, target } = edge;
  const fromLoop = typeOf(source) === FOR_EACH;
  if (fromLoop && edge.sourceHandle === ITEM_HANDLE) {
    return parentOf(target) === source ? null : "a for-each's item handle leads only into its own group";
  }
  const targetGroups: string[] = [];
  for (let p = parentOf(target); p && !targetGroups.includes(p); p = parentOf(p)) targetGroups.push(p);
  if (fromLoop && targetGroups.includes(source)) return "done and error run after the loop: connect 'item' into the group";
  if (parentOf(source) !== parentOf(target)) {
    return 'an edge cannot cross a group boundary: enter through item, leave through done';
  }
  return null;
}
