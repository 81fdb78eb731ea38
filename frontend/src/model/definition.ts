/**
 * The saved definition (the server's `automation/graph_factory/definition.py`) and its
 * conversion to and from React Flow nodes and edges. Keys the builder does not know (on the
 * definition, a node, its data or an edge) are kept, so a round trip loses nothing.
 */
import type { Edge, Node, Viewport } from '@xyflow/react';
import type { JsonObject, JsonValue } from '../api/types';
import { FOR_EACH, GROUP_HEIGHT, GROUP_WIDTH, sortParentsFirst } from './groups';

export interface DefinitionNode {
  id: string;
  type: string;
  position?: { x: number; y: number } | null;
  data?: { label?: string | null; config?: JsonObject; settings?: JsonObject; [key: string]: JsonValue | undefined };
  parentId?: string | null;
  [key: string]: unknown;
}

export interface DefinitionEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
  [key: string]: unknown;
}

export interface Definition {
  nodes: DefinitionNode[];
  edges: DefinitionEdge[];
  viewport?: Viewport | null;
  [key: string]: unknown;
}

/** What a canvas node carries: the workflow node's type, label, config and settings. */
export type StepData = {
  nodeType: string;
  label: string;
  config: JsonObject;
  settings?: JsonObject;
  /** Unknown keys of the saved node's `data`, written back unchanged. */
  extraData?: JsonObject;
  /** Unknown keys of the saved node itself, written back unchanged. */
  extraNode?: Record<string, unknown>;
};

/** `forEach`: a for_each node, drawn as a resizable group holding its body (a sub-flow). */
export type StepNode = Node<StepData, 'step' | 'forEach'>;

/** The React Flow node type that draws a workflow node type. */
export function viewTypeOf(nodeType: string): 'step' | 'forEach' {
  return nodeType === FOR_EACH ? 'forEach' : 'step';
}
export type FlowEdge = Edge;

export interface Flow {
  nodes: StepNode[];
  edges: FlowEdge[];
  viewport: Viewport;
  extra: Record<string, unknown>;
}

export const DEFAULT_HANDLE = 'out';
const NODE_KEYS = new Set(['id', 'type', 'position', 'data', 'parentId']);
/** A group's size is saved as React Flow saves a resized node: `width` and `height`. */
const GROUP_KEYS = new Set([...NODE_KEYS, 'width', 'height']);
const DATA_KEYS = new Set(['label', 'config', 'settings']);
const EDGE_KEYS = new Set(['id', 'source', 'target', 'sourceHandle', 'targetHandle']);

function pick<T extends Record<string, unknown>>(source: T, skip: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).filter(([key]) => !skip.has(key)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A definition as the server may hold it (possibly empty `{}`) → a well-formed one. */
export function normaliseDefinition(raw: unknown): Definition {
  const value = isObject(raw) ? raw : {};
  return {
    ...value,
    nodes: Array.isArray(value.nodes) ? (value.nodes as DefinitionNode[]) : [],
    edges: Array.isArray(value.edges) ? (value.edges as DefinitionEdge[]) : [],
    viewport: isObject(value.viewport) ? (value.viewport as unknown as Viewport) : null,
  };
}

export function toFlow(raw: unknown): Flow {
  const definition = normaliseDefinition(raw);
  const { nodes, edges, viewport, ...extra } = definition;
  return {
    nodes: sortParentsFirst(nodes.map((node, index) => {
      const data = isObject(node.data) ? node.data : {};
      const group = node.type === FOR_EACH;
      const extraData = pick(data, DATA_KEYS) as JsonObject;
      const extraNode = pick(node, group ? GROUP_KEYS : NODE_KEYS);
      const step: StepNode = {
        id: node.id,
        type: viewTypeOf(node.type),
        position: node.position ?? { x: 0, y: index * 120 },
        data: {
          nodeType: node.type,
          label: typeof data.label === 'string' ? data.label : '',
          config: isObject(data.config) ? (data.config as JsonObject) : {},
          ...(isObject(data.settings) ? { settings: data.settings as JsonObject } : {}),
          ...(Object.keys(extraData).length ? { extraData } : {}),
          ...(Object.keys(extraNode).length ? { extraNode } : {}),
        },
      };
      if (node.parentId) step.parentId = node.parentId;
      if (group) {
        const style = isObject(node.style) ? node.style : {};
        const size = (key: 'width' | 'height', fallback: number) => {
          const value = typeof node[key] === 'number' ? node[key] : style[key];
          return typeof value === 'number' && value > 0 ? value : fallback;
        };
        step.width = size('width', GROUP_WIDTH);
        step.height = size('height', GROUP_HEIGHT);
      }
      return step;
    })),
    edges: edges.map((edge) => {
      const extraEdge = pick(edge, EDGE_KEYS);
      return {
        id: edge.id,
        source: edge.source,
        target: edge.target,
        sourceHandle: edge.sourceHandle ?? null,
        targetHandle: edge.targetHandle ?? null,
        ...(Object.keys(extraEdge).length ? { data: { extraEdge } } : {}),
      };
    }),
    viewport: viewport ?? { x: 0, y: 0, zoom: 1 },
    extra,
  };
}

function roundPosition(position: { x: number; y: number }) {
  return { x: Math.round(position.x * 100) / 100, y: Math.round(position.y * 100) / 100 };
}

export function fromFlow(flow: Flow): Definition {
  const nodes: DefinitionNode[] = flow.nodes.map((node) => {
    const { nodeType, label, config, settings, extraData, extraNode } = node.data;
    const data: NonNullable<DefinitionNode['data']> = { ...(extraData ?? {}), label, config };
    if (settings && Object.keys(settings).length) data.settings = settings;
    const out: DefinitionNode = {
      ...(extraNode ?? {}),
      id: node.id,
      type: nodeType,
      position: roundPosition(node.position),
      data,
    };
    if (node.parentId) out.parentId = node.parentId;
    if (nodeType === FOR_EACH) {
      out.width = Math.round(node.width ?? node.measured?.width ?? GROUP_WIDTH);
      out.height = Math.round(node.height ?? node.measured?.height ?? GROUP_HEIGHT);
    }
    return out;
  });
  const edges: DefinitionEdge[] = flow.edges.map((edge) => {
    const extraEdge = (edge.data?.extraEdge ?? {}) as Record<string, unknown>;
    const out: DefinitionEdge = {
      ...extraEdge,
      id: edge.id,
      source: edge.source,
      target: edge.target,
    };
    if (edge.sourceHandle) out.sourceHandle = edge.sourceHandle;
    if (edge.targetHandle) out.targetHandle = edge.targetHandle;
    return out;
  });
  return { ...flow.extra, nodes, edges, viewport: flow.viewport };
}

/** A stable text of a definition, to tell whether the canvas differs from what was saved. */
export function definitionKey(definition: Definition): string {
  const { viewport: _viewport, ...rest } = definition;
  void _viewport;
  return JSON.stringify(rest);
}
