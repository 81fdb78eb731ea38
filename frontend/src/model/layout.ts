/**
 * Auto-layout (top to bottom) with dagre, using each node's measured size. For-each groups are
 * laid out from the inside out: each group's body inside the group (below its header), the
 * group sized to fit, then the level around it; children keep their parentId and stay inside.
 */
import dagre from '@dagrejs/dagre';
import type { Edge, Node } from '@xyflow/react';
import { GROUP_HEADER, GROUP_PADDING, ancestorsOf, isGroup, nodeSize } from './groups';

type LayoutNode = Node<{ nodeType: string }>;

function layoutLevel<N extends LayoutNode>(level: N[], edges: Edge[]): Map<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'TB', nodesep: 50, ranksep: 70 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of level) graph.setNode(node.id, nodeSize(node));
  for (const edge of edges) {
    if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) graph.setEdge(edge.source, edge.target);
  }
  dagre.layout(graph);
  const placed = new Map<string, { x: number; y: number }>();
  for (const node of level) {
    const centre = graph.node(node.id);
    const { width, height } = nodeSize(node);
    placed.set(node.id, { x: centre.x - width / 2, y: centre.y - height / 2 });
  }
  return placed;
}

export function layoutNodes<N extends LayoutNode>(nodes: N[], edges: Edge[]): N[] {
  const byId = new Map(nodes.map((n) => [n.id, { ...n }]));
  const depth = (id: string) => ancestorsOf(id, byId).length;
  const groups = [...byId.values()].filter((n) => isGroup(n)).sort((a, b) => depth(b.id) - depth(a.id));
  for (const group of groups) {
    const body = [...byId.values()].filter((n) => n.parentId === group.id);
    if (!body.length) continue;
    const placed = layoutLevel(body, edges);
    const minX = Math.min(...[...placed.values()].map((p) => p.x));
    const minY = Math.min(...[...placed.values()].map((p) => p.y));
    let width = 0;
    let height = 0;
    for (const node of body) {
      const p = placed.get(node.id)!;
      // Room under the header for the edges leaving the `item` handle.
      const position = { x: p.x - minX + GROUP_PADDING, y: p.y - minY + GROUP_HEADER + 2 * GROUP_PADDING };
      byId.set(node.id, { ...byId.get(node.id)!, position });
      const size = nodeSize(node);
      width = Math.max(width, position.x + size.width + GROUP_PADDING);
      height = Math.max(height, position.y + size.height + GROUP_PADDING);
    }
    const own = byId.get(group.id)!;
    // The group is sized to fit its body (wide enough for its header).
    byId.set(group.id, { ...own, width: Math.max(width, 320), height: Math.max(height, 200) });
  }
  const top = [...byId.values()].filter((n) => !n.parentId || !byId.has(n.parentId));
  const placed = layoutLevel(top, edges);
  for (const node of top) byId.set(node.id, { ...byId.get(node.id)!, position: placed.get(node.id)! });
  return nodes.map((n) => byId.get(n.id)!);
}
