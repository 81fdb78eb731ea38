/** Auto-layout (top to bottom) with dagre, using each node's measured size. */
import dagre from '@dagrejs/dagre';
import type { Edge, Node } from '@xyflow/react';

const DEFAULT_WIDTH = 220;
const DEFAULT_HEIGHT = 72;

export function layoutNodes<N extends Node>(nodes: N[], edges: Edge[]): N[] {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'TB', nodesep: 50, ranksep: 70 });
  graph.setDefaultEdgeLabel(() => ({}));
  const top = nodes.filter((n) => !n.parentId);
  for (const node of top) {
    graph.setNode(node.id, {
      width: node.measured?.width ?? node.width ?? DEFAULT_WIDTH,
      height: node.measured?.height ?? node.height ?? DEFAULT_HEIGHT,
    });
  }
  for (const edge of edges) {
    if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) graph.setEdge(edge.source, edge.target);
  }
  dagre.layout(graph);
  return nodes.map((node) => {
    if (node.parentId) return node;
    const placed = graph.node(node.id);
    const width = node.measured?.width ?? node.width ?? DEFAULT_WIDTH;
    const height = node.measured?.height ?? node.height ?? DEFAULT_HEIGHT;
    return { ...node, position: { x: placed.x - width / 2, y: placed.y - height / 2 } };
  });
}
