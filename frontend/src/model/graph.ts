/** Graph questions the editor asks: upstream nodes, cycles, fresh ids. */

interface EdgeLike {
  source: string;
  target: string;
}

/** Every node from which `nodeId` can be reached (its ancestors), nearest first. */
export function upstreamOf(nodeId: string, edges: EdgeLike[]): string[] {
  const incoming = new Map<string, string[]>();
  for (const edge of edges) {
    const list = incoming.get(edge.target) ?? [];
    list.push(edge.source);
    incoming.set(edge.target, list);
  }
  const seen = new Set<string>([nodeId]);
  const order: string[] = [];
  const queue = [nodeId];
  while (queue.length) {
    const current = queue.shift()!;
    for (const source of incoming.get(current) ?? []) {
      if (seen.has(source)) continue;
      seen.add(source);
      order.push(source);
      queue.push(source);
    }
  }
  return order;
}

/** Would an edge source → target close a cycle? (Is source reachable from target?) */
export function wouldCycle(source: string, target: string, edges: EdgeLike[]): boolean {
  if (source === target) return true;
  return upstreamOf(source, edges).includes(target);
}

/** `<type>_<n>` with the smallest n not taken: ids that read well in `{{ nodes.<id> }}`. */
export function freshNodeId(nodeType: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const stem = nodeType.replace(/[^A-Za-z0-9_]/g, '_');
  for (let n = 1; ; n += 1) {
    const id = `${stem}_${n}`;
    if (!used.has(id)) return id;
  }
}

export function edgeId(source: string, handle: string | null | undefined, target: string): string {
  return `e_${source}_${handle ?? 'out'}_${target}`;
}
