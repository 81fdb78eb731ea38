/** Undo/redo over snapshots of nodes and edges, taken before each change. */
import { useCallback, useRef, useState } from 'react';
import { useReactFlow, type Edge } from '@xyflow/react';
import type { StepNode } from '../model/definition';

interface Snapshot {
  nodes: StepNode[];
  edges: Edge[];
}

const LIMIT = 100;

export function useUndoRedo() {
  const { getNodes, getEdges, setNodes, setEdges } = useReactFlow<StepNode, Edge>();
  const past = useRef<Snapshot[]>([]);
  const future = useRef<Snapshot[]>([]);
  const lastTag = useRef<{ tag: string; at: number } | null>(null);
  const [, setVersion] = useState(0);
  const bump = () => setVersion((v) => v + 1);

  /** Remember the current state; with a tag, changes of that tag within 1 s coalesce. */
  const takeSnapshot = useCallback(
    (tag?: string) => {
      const now = Date.now();
      if (tag && lastTag.current?.tag === tag && now - lastTag.current.at < 1000) {
        lastTag.current.at = now;
        return;
      }
      lastTag.current = tag ? { tag, at: now } : null;
      past.current = [...past.current.slice(-LIMIT + 1), { nodes: getNodes(), edges: getEdges() }];
      future.current = [];
      bump();
    },
    [getNodes, getEdges],
  );

  const undo = useCallback(() => {
    const previous = past.current.pop();
    if (!previous) return;
    future.current.push({ nodes: getNodes(), edges: getEdges() });
    lastTag.current = null;
    setNodes(previous.nodes);
    setEdges(previous.edges);
    bump();
  }, [getNodes, getEdges, setNodes, setEdges]);

  const redo = useCallback(() => {
    const next = future.current.pop();
    if (!next) return;
    past.current.push({ nodes: getNodes(), edges: getEdges() });
    lastTag.current = null;
    setNodes(next.nodes);
    setEdges(next.edges);
    bump();
  }, [getNodes, getEdges, setNodes, setEdges]);

  const reset = useCallback(() => {
    past.current = [];
    future.current = [];
    lastTag.current = null;
    bump();
  }, []);

  return {
    takeSnapshot,
    undo,
    redo,
    reset,
    canUndo: past.current.length > 0,
    canRedo: future.current.length > 0,
  };
}
