/**
 * React Flow node types, at module level (never re-created on render): `step` for every node
 * type, `forEach` for for_each nodes, drawn as a resizable group holding their body.
 */
import type { NodeTypes } from '@xyflow/react';
import { ForEachNodeView } from './ForEachNodeView';
import { StepNodeView } from './StepNodeView';

export const nodeTypes: NodeTypes = { step: StepNodeView, forEach: ForEachNodeView };
