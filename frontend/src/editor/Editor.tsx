/** The workflow editor: palette, canvas, side panel, toolbar, versions, runs. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  addEdge,
  Background,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  useEdgesState,
  useNodesInitialized,
  useNodesState,
  useReactFlow,
  type Connection,
  type Edge,
  type IsValidConnection,
  type NodeChange,
  type OnBeforeDelete,
} from '@xyflow/react';
import { ApiError } from '../api/client';
import * as endpoints from '../api/endpoints';
import type { Catalogue, Execution, JsonObject, Me, NodeTypeSpec, ValidationIssue, WorkflowDetail } from '../api/types';
import { copySelection, pasteContent, withPasted, type ClipboardContent } from '../model/clipboard';
import { connectionProblem } from '../model/connection';
import { definitionKey, fromFlow, toFlow, viewTypeOf, type Definition, type StepNode } from '../model/definition';
import { indexIssues } from '../model/errors';
import { loopSuggestions, triggerSuggestions, upstreamSuggestions } from '../model/expressions';
import { edgeId, freshNodeId } from '../model/graph';
import {
  absolutePosition,
  absoluteRect,
  fitGroups,
  GROUP_HEIGHT,
  GROUP_WIDTH,
  groupAt,
  ITEM_HANDLE,
  relativeTo,
  settleNode,
  sortParentsFirst,
} from '../model/groups';
import { outputHandles } from '../model/handles';
import { layoutNodes } from '../model/layout';
import { abilitiesOf } from '../permissions';
import { navigate } from '../router';
import { toast } from '../ui/Toasts';
import { EditorContext, type EditorContextValue } from './context';
import { NodePanel } from './NodePanel';
import { nodeTypes } from './nodeTypes';
import { DRAG_MIME, Palette } from './Palette';
import { RunBar } from './RunBar';
import { RunDialog } from './RunDialog';
import { Toolbar } from './Toolbar';
import { useExecution } from './useExecution';
import { useShortcuts } from './useShortcuts';
import { useUndoRedo } from './useUndoRedo';
import { VersionsPanel } from './VersionsPanel';
import { WorkflowPanel } from './WorkflowPanel';

let clipboard: ClipboardContent | null = null;

interface Props {
  initialWorkflow: WorkflowDetail;
  initialPublishedKey: string | null;
  initialExecutionId?: string | null;
  me: Me;
  catalogue: Catalogue;
}

export function Editor({ initialWorkflow, initialPublishedKey, initialExecutionId = null, me, catalogue }: Props) {
  const initialFlow = useMemo(() => toFlow(initialWorkflow.definition), [initialWorkflow]);
  const [workflow, setWorkflow] = useState(initialWorkflow);
  const [nodes, setNodes, applyNodesChange] = useNodesState<StepNode>(initialFlow.nodes);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>(initialFlow.edges);
  const flow = useReactFlow<StepNode, Edge>();
  const extra = useRef(initialFlow.extra);
  const history = useUndoRedo();
  const takeSnapshot = history.takeSnapshot;
  const can = abilitiesOf(me);
  const readOnly = !can.edit;

  const [savedKey, setSavedKey] = useState(() => definitionKey(fromFlow(initialFlow)));
  const [publishedKey, setPublishedKey] = useState(initialPublishedKey);
  const [issueList, setIssueList] = useState<ValidationIssue[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const [showVersions, setShowVersions] = useState(false);
  const [versionsKey, setVersionsKey] = useState(0);
  const [runDialog, setRunDialog] = useState(false);
  const [executionId, setExecutionId] = useState<string | null>(initialExecutionId);
  useEffect(() => {
    if (initialExecutionId) setExecutionId(initialExecutionId);
  }, [initialExecutionId]);
  const [executions, setExecutions] = useState<Execution[]>([]);
  const execution = useExecution(executionId);

  const specs = useMemo(() => new Map(catalogue.node_types.map((n) => [n.type, n])), [catalogue]);
  const errorHandle = catalogue.error_handle ?? 'error';
  const isTriggerType = useCallback((type: string) => Boolean(specs.get(type)?.is_trigger), [specs]);

  const definition = useCallback(
    (): Definition =>
      fromFlow({ nodes: flow.getNodes(), edges: flow.getEdges(), viewport: flow.getViewport(), extra: extra.current }),
    [flow],
  );
  const currentKey = useMemo(
    () => definitionKey(fromFlow({ nodes, edges, viewport: { x: 0, y: 0, zoom: 1 }, extra: extra.current })),
    [nodes, edges],
  );
  const dirty = currentKey !== savedKey;

  const nodeIdsKey = nodes.map((n) => n.id).join('\n');
  const edgeIdsKey = edges.map((e) => e.id).join('\n');
  const issues = useMemo(
    () => indexIssues(issueList, new Set(nodeIdsKey.split('\n')), new Set(edgeIdsKey.split('\n'))),
    [issueList, nodeIdsKey, edgeIdsKey],
  );
  const context: EditorContextValue = useMemo(
    () => ({
      specs,
      errorHandle,
      issues,
      runStatus: execution.statusByNode,
      readOnly,
      dropTarget,
      onResizeStart: () => takeSnapshot(),
    }),
    [specs, errorHandle, issues, execution.statusByNode, readOnly, dropTarget, takeSnapshot],
  );

  const refreshExecutions = useCallback(() => {
    if (!can.readExecutions) return;
    endpoints
      .listExecutions(workflow.id)
      .then((page) => setExecutions(page.items))
      .catch(() => undefined);
  }, [workflow.id, can.readExecutions]);
  useEffect(refreshExecutions, [refreshExecutions]);
  // The recent runs follow the shown one: waiting, resumed, finished.
  const shownStatus = execution.execution?.status;
  useEffect(() => {
    if (shownStatus && shownStatus !== 'pending') refreshExecutions();
  }, [shownStatus, execution.finished, refreshExecutions]);

  useEffect(() => {
    if (!dirty || readOnly) return undefined;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty, readOnly]);

  // -- editing ---------------------------------------------------------------------------
  const addNode = useCallback(
    (spec: NodeTypeSpec, position: { x: number; y: number }, pointer?: { x: number; y: number }) => {
      if (readOnly) return;
      if (spec.is_trigger && flow.getNodes().some((n) => isTriggerType(n.data.nodeType))) {
        toast('A workflow has exactly one trigger.', 'error');
        return;
      }
      history.takeSnapshot();
      const id = freshNodeId(spec.type, flow.getNodes().map((n) => n.id));
      // Dropped onto a for-each group (the innermost under the pointer): it goes into its body.
      const parentId = spec.is_trigger || !pointer ? null : groupAt(pointer, flow.getNodes());
      const node: StepNode = {
        id,
        type: viewTypeOf(spec.type),
        position: relativeTo(position, parentId, flow.getNodes()),
        selected: true,
        data: { nodeType: spec.type, label: spec.label, config: spec.is_trigger ? { sample_payload: {} } : {} },
      };
      if (parentId) node.parentId = parentId;
      if (node.type === 'forEach') {
        node.width = GROUP_WIDTH;
        node.height = GROUP_HEIGHT;
      }
      setNodes((current) => fitGroups(sortParentsFirst([...current.map((n) => ({ ...n, selected: false })), node])));
    },
    [readOnly, flow, isTriggerType, history, setNodes],
  );

  const wrapper = useRef<HTMLDivElement>(null);
  const onDragOver = useCallback(
    (event: React.DragEvent) => {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'move';
      const pointer = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const target = groupAt(pointer, flow.getNodes());
      setDropTarget((current) => (current === target ? current : target));
    },
    [flow],
  );
  const onDragLeave = useCallback(() => setDropTarget(null), []);
  const onDrop = useCallback(
    (event: React.DragEvent) => {
      event.preventDefault();
      setDropTarget(null);
      const type = event.dataTransfer.getData(DRAG_MIME);
      const spec = specs.get(type);
      if (!spec) return;
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      addNode(spec, { x: position.x - 110, y: position.y - 30 }, position);
    },
    [specs, flow, addNode],
  );

  // -- for-each groups: drag a node into a group, or out of it -----------------------------
  /** The dragged nodes whose group is not dragged with them (a group carries its body). */
  const draggedRoots = useCallback((dragged: StepNode[]) => {
    const ids = new Set(dragged.map((n) => n.id));
    return dragged.filter((n) => !n.parentId || !ids.has(n.parentId));
  }, []);
  const onNodeDrag = useCallback(
    (_event: unknown, _node: StepNode, dragged: StepNode[]) => {
      const roots = draggedRoots(dragged);
      if (roots.length !== 1 || isTriggerType(roots[0].data.nodeType)) return;
      const all = flow.getNodes();
      const rect = absoluteRect(roots[0].id, all);
      const target = groupAt({ x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 }, all, roots[0].id);
      setDropTarget((current) => (current === target ? current : target));
    },
    [flow, draggedRoots, isTriggerType],
  );
  const onNodeDragStop = useCallback(
    (_event: unknown, _node: StepNode, dragged: StepNode[]) => {
      setDropTarget(null);
      if (readOnly) return;
      setNodes((current) => {
        let next = current;
        for (const root of draggedRoots(dragged)) {
          if (isTriggerType(root.data.nodeType)) continue;
          next = settleNode(next, root.id);
        }
        return next === current ? current : next;
      });
    },
    [readOnly, setNodes, draggedRoots, isTriggerType],
  );
  const onNodesChange = useCallback(
    (changes: NodeChange<StepNode>[]) => {
      applyNodesChange(changes);
      // A group resized smaller than its body grows back around it (children stay inside).
      if (changes.some((c) => c.type === 'dimensions' && c.resizing === false)) {
        setNodes((current) => fitGroups(current));
      }
    },
    [applyNodesChange, setNodes],
  );
  const addAtCenter = useCallback(
    (spec: NodeTypeSpec) => {
      const box = wrapper.current?.getBoundingClientRect();
      const center = box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : { x: 400, y: 300 };
      const position = flow.screenToFlowPosition(center);
      addNode(spec, { x: position.x - 110, y: position.y - 30 });
    },
    [flow, addNode],
  );

  const isValidConnection: IsValidConnection<Edge> = useCallback(
    (connection) =>
      connectionProblem(connection, {
        isTrigger: (id) => isTriggerType(flow.getNode(id)?.data.nodeType ?? ''),
        edges: flow.getEdges(),
        parentOf: (id) => flow.getNode(id)?.parentId ?? null,
        typeOf: (id) => flow.getNode(id)?.data.nodeType,
      }) === null,
    [flow, isTriggerType],
  );
  const onConnect = useCallback(
    (connection: Connection) => {
      history.takeSnapshot();
      const id = edgeId(connection.source, connection.sourceHandle, connection.target);
      setEdges((current) => addEdge({ ...connection, id, targetHandle: null }, current));
    },
    [history, setEdges],
  );
  const onBeforeDelete: OnBeforeDelete<StepNode, Edge> = useCallback(async () => {
    if (readOnly) return false;
    history.takeSnapshot();
    return true;
  }, [readOnly, history]);

  const updateNode = useCallback(
    (nodeId: string, patch: Partial<StepNode['data']>) => {
      if (readOnly) return;
      history.takeSnapshot(`edit:${nodeId}:${Object.keys(patch).join(',')}`);
      let handles: string[] | null = null;
      setNodes((current) =>
        current.map((n) => {
          if (n.id !== nodeId) return n;
          const data = { ...n.data, ...patch };
          handles = outputHandles(specs.get(data.nodeType), data.config, data.settings, errorHandle);
          return { ...n, data };
        }),
      );
      // Edges from an output that no longer exists (a removed label, on_error no longer
      // "branch") would be invisible on the canvas: drop them.
      if (patch.config || patch.settings) {
        setEdges((current) =>
          current.filter((e) => e.source !== nodeId || !handles || !e.sourceHandle || (handles as string[]).includes(e.sourceHandle)),
        );
      }
    },
    [readOnly, history, setNodes, setEdges, specs, errorHandle],
  );
  const deleteNode = useCallback(
    (nodeId: string) => void flow.deleteElements({ nodes: [{ id: nodeId }] }),
    [flow],
  );
  const selectNode = useCallback(
    (nodeId: string) => {
      setNodes((current) => current.map((n) => ({ ...n, selected: n.id === nodeId })));
      const node = flow.getNode(nodeId);
      if (node) {
        const at = absolutePosition(nodeId, flow.getNodes());
        flow.setCenter(at.x + 110, at.y + 40, { zoom: flow.getZoom(), duration: 300 });
      }
    },
    [setNodes, flow],
  );

  const autoLayout = useCallback(() => {
    history.takeSnapshot();
    setNodes(layoutNodes(flow.getNodes(), flow.getEdges()));
    window.requestAnimationFrame(() => void flow.fitView({ duration: 300, padding: 0.2 }));
  }, [history, setNodes, flow]);

  const copy = useCallback(() => {
    const content = copySelection(flow.getNodes(), flow.getEdges());
    if (content) {
      clipboard = structuredClone(content);
      toast(`Copied ${content.nodes.length} node${content.nodes.length > 1 ? 's' : ''}`);
    }
  }, [flow]);
  const paste = useCallback(() => {
    if (readOnly || !clipboard) return;
    const pasted = pasteContent(clipboard, flow.getNodes(), isTriggerType);
    if (!pasted.nodes.length) return;
    history.takeSnapshot();
    setNodes((current) => withPasted(current, pasted.nodes));
    setEdges((current) => [...current, ...pasted.edges]);
    clipboard = { nodes: pasted.nodes, edges: pasted.edges }; // paste again → offset again
  }, [readOnly, flow, isTriggerType, history, setNodes, setEdges]);

  // -- server actions --------------------------------------------------------------------
  const loadDefinition = useCallback(
    (raw: unknown) => {
      const next = toFlow(raw);
      extra.current = next.extra;
      setNodes(next.nodes);
      setEdges(next.edges);
      history.reset();
      return definitionKey(fromFlow(next));
    },
    [setNodes, setEdges, history],
  );

  const save = useCallback(async () => {
    if (readOnly) return;
    setBusy('save');
    const draft = definition();
    try {
      const saved = await endpoints.saveDraft(workflow.id, draft as unknown as JsonObject);
      setWorkflow(saved);
      setSavedKey(definitionKey(draft));
      toast('Draft saved', 'success');
    } catch (exc) {
      toast(`Not saved: ${(exc as Error).message}`, 'error');
    } finally {
      setBusy(null);
    }
  }, [readOnly, definition, workflow.id]);

  const validate = useCallback(async () => {
    setBusy('validate');
    try {
      const report = await endpoints.validateDefinition(workflow.id, definition() as unknown as JsonObject);
      setIssueList(report.errors);
      toast(report.ok ? 'Valid: ready to publish' : `${report.errors.length} issue(s) to fix`, report.ok ? 'success' : 'error');
    } catch (exc) {
      toast((exc as Error).message, 'error');
    } finally {
      setBusy(null);
    }
  }, [workflow.id, definition]);

  const publish = useCallback(async () => {
    setBusy('publish');
    const draft = definition();
    try {
      const version = await endpoints.publish(workflow.id, draft as unknown as JsonObject);
      const key = definitionKey(draft);
      setIssueList([]);
      setSavedKey(key);
      setPublishedKey(key);
      setWorkflow((w) => ({ ...w, current_version: version.number, status: 'active' }));
      setVersionsKey((k) => k + 1);
      toast(`Published v${version.number}`, 'success');
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 422) {
        const errors = ((exc.body as { errors?: ValidationIssue[] }).errors ?? []) as ValidationIssue[];
        setIssueList(errors);
        toast(`Not published: ${errors.length} issue(s) to fix`, 'error');
      } else {
        toast(`Not published: ${(exc as Error).message}`, 'error');
      }
    } finally {
      setBusy(null);
    }
  }, [workflow.id, definition]);

  const doRollback = useCallback(
    async (number: number) => {
      try {
        const version = await endpoints.rollback(workflow.id, number);
        const key = loadDefinition(version.definition);
        setSavedKey(key);
        setPublishedKey(key);
        setIssueList([]);
        setWorkflow((w) => ({ ...w, current_version: version.number, status: 'active' }));
        setVersionsKey((k) => k + 1);
        toast(`Rolled back: v${number} is published again as v${version.number}`, 'success');
      } catch (exc) {
        toast(`Not rolled back: ${(exc as Error).message}`, 'error');
      }
    },
    [workflow.id, loadDefinition],
  );

  const run = useCallback(
    async (payload: JsonObject) => {
      try {
        const started = await endpoints.runNow(workflow.id, payload);
        setExecutionId(started.execution_id);
        setRunDialog(false);
        refreshExecutions();
      } catch (exc) {
        toast(`Not started: ${(exc as Error).message}`, 'error');
      }
    },
    [workflow.id, refreshExecutions],
  );

  // Fit the drawing once every node has been measured (the fitView prop can run too early).
  const nodesInitialized = useNodesInitialized();
  const fitted = useRef(false);
  useEffect(() => {
    if (!nodesInitialized || fitted.current) return;
    fitted.current = true;
    if (flow.getNodes().length) void flow.fitView({ padding: 0.2, maxZoom: 1.1 });
  }, [nodesInitialized, flow]);

  const shortcuts = useMemo(
    () => ({ undo: history.undo, redo: history.redo, copy, paste, save: () => void save() }),
    [history.undo, history.redo, copy, paste, save],
  );
  useShortcuts(shortcuts, true);

  // -- derived view ----------------------------------------------------------------------
  const displayEdges = useMemo(
    () =>
      edges.map((edge) => {
        const classes: string[] = [];
        if (issues.byEdge.has(edge.id)) classes.push('has-issues');
        const sourceRun = execution.runs.get(edge.source);
        const targetRun = execution.runs.get(edge.target);
        if (sourceRun && targetRun && targetRun.status !== 'skipped' && targetRun.status !== 'pending') classes.push('taken');
        if (edge.sourceHandle === errorHandle) classes.push('error-edge');
        // `item` edges start under the group's header, which names the handle already.
        const label = edge.sourceHandle && edge.sourceHandle !== 'out' && edge.sourceHandle !== ITEM_HANDLE ? edge.sourceHandle : undefined;
        return { ...edge, label, className: classes.join(' ') || undefined };
      }),
    [edges, issues, execution.runs, errorHandle],
  );

  const selected = nodes.filter((n) => n.selected);
  const selectedNode = selected.length === 1 ? selected[0] : null;
  const hasTrigger = nodes.some((n) => isTriggerType(n.data.nodeType));
  const triggerNode = nodes.find((n) => isTriggerType(n.data.nodeType));
  const samplePayload = (triggerNode?.data.config.sample_payload ?? {}) as JsonObject;
  const suggestions = useMemo(
    () =>
      selectedNode
        ? {
            trigger: triggerSuggestions(nodes, isTriggerType),
            upstream: [
              ...loopSuggestions(selectedNode.id, nodes),
              ...upstreamSuggestions(selectedNode.id, nodes, edges, isTriggerType, execution.outputs),
            ],
          }
        : { trigger: [], upstream: [] },
    // Positions do not matter here: recompute on structure and config only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [selectedNode?.id, currentKey, execution.outputs, isTriggerType],
  );
  const runWarning =
    publishedKey === null
      ? 'Nothing is published yet.'
      : currentKey !== publishedKey
        ? `The canvas differs from the published v${workflow.current_version}: the run uses v${workflow.current_version}. Publish first to run your changes.`
        : null;

  return (
    <EditorContext.Provider value={context}>
      <div className="editor">
        <Toolbar
          name={workflow.name}
          can={can}
          dirty={dirty}
          busy={busy}
          canUndo={history.canUndo}
          canRedo={history.canRedo}
          published={workflow.current_version !== null}
          onBack={() => {
            if (!dirty || readOnly || window.confirm('Leave without saving the draft?')) navigate({ page: 'list' });
          }}
          onSave={() => void save()}
          onValidate={() => void validate()}
          onPublish={() => void publish()}
          onRun={() => setRunDialog(true)}
          onVersions={() => setShowVersions((v) => !v)}
          onUndo={history.undo}
          onRedo={history.redo}
          onLayout={autoLayout}
        />
        {readOnly && (
          <div className="banner info" data-testid="readonly-banner">
            Read-only: your role ({me.role}) may look at workflows and runs but not change them.
          </div>
        )}
        <div className="editor-body">
          {!readOnly && <Palette catalogue={catalogue} hasTrigger={hasTrigger} disabled={readOnly} onAdd={addAtCenter} />}
          <div className="canvas" ref={wrapper} onDrop={onDrop} onDragOver={onDragOver} onDragLeave={onDragLeave} data-testid="canvas">
            <ReactFlow<StepNode, Edge>
              nodes={nodes}
              edges={displayEdges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              isValidConnection={isValidConnection}
              onBeforeDelete={onBeforeDelete}
              onNodeDragStart={() => history.takeSnapshot()}
              onNodeDrag={onNodeDrag}
              onNodeDragStop={onNodeDragStop}
              nodesDraggable={!readOnly}
              nodesConnectable={!readOnly}
              deleteKeyCode={readOnly ? null : ['Backspace', 'Delete']}
              defaultViewport={initialFlow.viewport}
              snapToGrid
              snapGrid={[10, 10]}
              defaultEdgeOptions={{ type: 'smoothstep' }}
            >
              <Background gap={20} />
              <MiniMap pannable zoomable nodeStrokeWidth={3} />
              <Controls showInteractive={false} />
              {executionId && (
                <Panel position="top-center">
                  <RunBar
                    execution={execution.execution}
                    connected={execution.connected}
                    finished={execution.finished}
                    waitingOn={[...execution.runs]
                      .filter(([, run]) => run.status === 'waiting')
                      .map(([id, run]) => run.latest.label || id)}
                    onClear={() => setExecutionId(null)}
                  />
                </Panel>
              )}
            </ReactFlow>
          </div>
          {selectedNode ? (
            <NodePanel
              key={selectedNode.id}
              workflowId={workflow.id}
              publishedVersion={workflow.current_version}
              node={selectedNode}
              catalogue={catalogue}
              issues={issues.byNode.get(selectedNode.id) ?? []}
              readOnly={readOnly}
              run={execution.runs.get(selectedNode.id)}
              hasExecution={executionId !== null}
              suggestions={suggestions}
              onChange={updateNode}
              onDelete={deleteNode}
            />
          ) : (
            <WorkflowPanel
              workflow={workflow}
              issues={issues}
              executions={executions}
              shownExecutionId={executionId}
              onSelectNode={selectNode}
              onShowExecution={setExecutionId}
            />
          )}
          {showVersions && (
            <VersionsPanel
              workflowId={workflow.id}
              currentVersion={workflow.current_version}
              canPublish={can.publish}
              refreshKey={versionsKey}
              onRollback={doRollback}
              onClose={() => setShowVersions(false)}
            />
          )}
        </div>
        {runDialog && (
          <RunDialog initial={samplePayload} warning={runWarning} onRun={run} onClose={() => setRunDialog(false)} />
        )}
      </div>
    </EditorContext.Provider>
  );
}
