/**
 * React Flow node types, at module level (never re-created on render).
 *
 * Extension point: for-each groups (nodes with `parentId`) will register a group node type
 * here (a resizable container, React Flow's NodeResizer) once the for-each issue lands in the
 * API; until then child nodes round-trip with their parentId but render as plain steps.
 */
import type { NodeTypes } from '@xyflow/react';
import { StepNodeView } from './StepNodeView';

export const nodeTypes: NodeTypes = { step: StepNodeView };
