/** Copy and paste of nodes (with the edges between them) under fresh ids. */
import type { Edge } from '@xyflow/react';
import type { StepNode } from './definition';
import { edgeId, freshNodeId } from './graph';

export interface ClipboardContent {
  nodes: StepNode[];
  edges: Edge[];
}

export function copySelection(nodes: StepNode[], edges: Edge[]): ClipboardContent | null {
  const selected = nodes.filter((n) => n.selected);
  if (!selected.length) return null;
  const ids = new Set(selected.map((n) => n.id));
  return {
    nodes: selected,
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
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
  const hasTrigger = existing.some((n) => isTrigger(n.data.nodeType));
  const renamed = new Map<string, string>();
  const nodes: StepNode[] = [];
  for (const node of content.nodes) {
    if (isTrigger(node.data.nodeType) && hasTrigger) continue;
    const id = freshNodeId(node.data.nodeType, taken);
    taken.add(id);
    renamed.set(node.id, id);
    nodes.push({
      ...node,
      id,
      selected: true,
      position: { x: node.position.x + offset, y: node.position.y + offset },
      data: structuredClone(node.data),
      parentId: node.parentId && renamed.has(node.parentId) ? renamed.get(node.parentId) : undefined,
    });
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
