/**
 * Copy and paste of nodes (with the edges between them) under fresh ids. A copied for-each
 * group carries its body (every node inside it, at any depth), which stays inside the pasted
 * group. A body node copied without its group is pasted into the same group when it still
 * exists, else at top level where it was on the canvas.
 */
import type { Edge } from '@xyflow/react';
import type { StepNode } from './definition';
import { edgeId, freshNodeId } from './graph';
import { absolutePosition, descendantsOf, fitGroups, sortParentsFirst } from './groups';

export interface ClipboardContent {
  nodes: StepNode[];
  edges: Edge[];
  /** Canvas positions of the copied nodes whose group was not copied with them. */
  absolute?: Record<string, { x: number; y: number }>;
}

export function copySelection(nodes: StepNode[], edges: Edge[]): ClipboardContent | null {
  const selected = nodes.filter((n) => n.selected);
  if (!selected.length) return null;
  const ids = new Set(selected.map((n) => n.id));
  for (const node of selected) for (const child of descendantsOf(node.id, nodes)) ids.add(child);
  const copied = sortParentsFirst(nodes.filter((n) => ids.has(n.id)));
  const absolute: Record<string, { x: number; y: number }> = {};
  for (const node of copied) {
    if (node.parentId && !ids.has(node.parentId)) absolute[node.id] = absolutePosition(node.id, nodes);
  }
  return {
    nodes: copied,
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
    absolute,
  };
}

/** The clipboard's nodes and edges with new ids, moved by `offset`, selected. */
export function pasteContent(
  content: ClipboardContent,
  existing: StepNode[],
  isTrigger: (nodeType: string) => boolean,
  offset = 40,
): { nodes: StepNode[]; edges: Edge[] } {
  const taken = new Set(existing.map((n) => n.id));
  const present = new Set(existing.map((n) => n.id));
  const hasTrigger = existing.some((n) => isTrigger(n.data.nodeType));
  const renamed = new Map<string, string>();
  const nodes: StepNode[] = [];
  for (const node of sortParentsFirst(content.nodes)) {
    if (isTrigger(node.data.nodeType) && hasTrigger) continue;
    if (node.parentId && content.nodes.some((n) => n.id === node.parentId) && !renamed.has(node.parentId)) {
      continue; // its group was not pasted (a skipped trigger cannot be a group, but be safe)
    }
    const id = freshNodeId(node.data.nodeType, taken);
    taken.add(id);
    renamed.set(node.id, id);
    const { parentId: _parentId, selected: _selected, ...rest } = node;
    void _parentId;
    void _selected;
    const pasted: StepNode = { ...rest, id, data: structuredClone(node.data) };
    if (node.parentId && renamed.has(node.parentId)) {
      // Inside a pasted group: same place in the group, not selected (it moves with the group).
      pasted.parentId = renamed.get(node.parentId);
      pasted.selected = false;
    } else {
      pasted.selected = true;
      const stays = node.parentId && present.has(node.parentId);
      const base = stays || !node.parentId ? node.position : (content.absolute?.[node.id] ?? node.position);
      if (stays) pasted.parentId = node.parentId;
      pasted.position = { x: base.x + offset, y: base.y + offset };
    }
    nodes.push(pasted);
  }
  const edges: Edge[] = content.edges
    .filter((e) => renamed.has(e.source) && renamed.has(e.target))
    .map((e) => {
      const source = renamed.get(e.source)!;
      const target = renamed.get(e.target)!;
      return { ...e, id: edgeId(source, e.sourceHandle, target), source, target, selected: false };
    });
  return { nodes, edges };
}

/** The canvas after a paste: the pasted nodes added, groups grown to fit what was pasted in. */
export function withPasted(existing: StepNode[], pasted: StepNode[]): StepNode[] {
  return fitGroups(sortParentsFirst([...existing.map((n) => ({ ...n, selected: false })), ...pasted]));
}
