/** Expression suggestions for a node: trigger payload keys and upstream node outputs. */
import type { JsonValue } from '../api/types';
import { upstreamOf } from './graph';

export interface Suggestion {
  expression: string;
  hint: string;
}

interface NodeLike {
  id: string;
  parentId?: string;
  data: { nodeType: string; label: string; config: Record<string, JsonValue> };
}

function accessor(id: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(id) ? `nodes.${id}` : `nodes['${id.replace(/'/g, "\\'")}']`;
}

function keysOf(value: JsonValue | undefined): string[] {
  return value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
}

export function triggerSuggestions(nodes: NodeLike[], isTrigger: (type: string) => boolean): Suggestion[] {
  const trigger = nodes.find((n) => isTrigger(n.data.nodeType));
  const sample = trigger?.data.config.sample_payload;
  return keysOf(sample).map((key) => ({
    expression: `{{ trigger.${key} }}`,
    hint: `sample: ${JSON.stringify((sample as Record<string, JsonValue>)[key])}`.slice(0, 80),
  }));
}

export function upstreamSuggestions(
  nodeId: string,
  nodes: NodeLike[],
  edges: { source: string; target: string }[],
  isTrigger: (type: string) => boolean,
  lastOutputs: Map<string, JsonValue>,
): Suggestion[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out: Suggestion[] = [];
  for (const id of upstreamOf(nodeId, edges)) {
    const node = byId.get(id);
    if (!node || isTrigger(node.data.nodeType)) continue;
    const keys = keysOf(lastOutputs.get(id));
    out.push({ expression: `{{ ${accessor(id)} }}`, hint: node.data.label || node.data.nodeType });
    for (const key of keys) {
      out.push({ expression: `{{ ${accessor(id)}.${key} }}`, hint: 'from the last run' });
    }
  }
  return out;
}

/** Inside a for-each group: `item` and `index` (of the innermost loop). */
export function loopSuggestions(nodeId: string, nodes: NodeLike[]): Suggestion[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const loopId = byId.get(nodeId)?.parentId;
  const loop = loopId ? byId.get(loopId) : undefined;
  if (!loop) return [];
  const name = loop.data.label || loop.id;
  return [
    { expression: '{{ item }}', hint: `the current item of ${name}` },
    { expression: '{{ index }}', hint: `its position in ${name} (from 0)` },
  ];
}
