/** Which connections the canvas accepts (React Flow's isValidConnection). */
import type { Connection, Edge } from '@xyflow/react';
import { wouldCycle } from './graph';
import { groupEdgeProblem } from './groups';

export interface ConnectionContext {
  isTrigger: (nodeId: string) => boolean;
  edges: Edge[];
  /** For-each groups: a node's group (parentId) and a node's type; without them, not checked. */
  parentOf?: (nodeId: string) => string | null;
  typeOf?: (nodeId: string) => string | undefined;
}

/** Why a connection is refused, or null when it is fine. */
export function connectionProblem(connection: Connection | Edge, ctx: ConnectionContext): string | null {
  const { source, target } = connection;
  if (!source || !target) return 'incomplete connection';
  if (source === target) return 'a node cannot connect to itself';
  if (ctx.isTrigger(target)) return 'nothing may lead into the trigger';
  const handle = connection.sourceHandle ?? null;
  if (ctx.edges.some((e) => e.source === source && e.target === target && (e.sourceHandle ?? null) === handle)) {
    return 'these handles are already connected';
  }
  if (wouldCycle(source, target, ctx.edges)) return 'this connection would make a cycle';
  if (ctx.parentOf && ctx.typeOf) return groupEdgeProblem({ source, target, sourceHandle: handle }, ctx.parentOf, ctx.typeOf);
  return null;
}
