/**
 * A for_each node drawn as a resizable group (a React Flow sub-flow): its body nodes live
 * inside it (`parentId`), the `item` handle under its header leads into the body, `done` (and
 * `error` when on_error is branch) at its bottom lead on after the loop.
 */
import { memo } from 'react';
import { Handle, NodeResizer, Position, useStore, type NodeProps } from '@xyflow/react';
import type { StepNode } from '../model/definition';
import { GROUP_HEADER, ITEM_HANDLE } from '../model/groups';
import { HandleLabels, issuesText, nodeClasses, OutputHandles, StatusBadge, useNodeView } from './nodeParts';

function ForEachNodeViewImpl({ id, data, selected, parentId }: NodeProps<StepNode>) {
  const { context, spec, handles, status, nodeIssues } = useNodeView(id, data);
  const { errorHandle, readOnly, dropTarget, onResizeStart } = context;
  const after = handles.filter((h) => h !== ITEM_HANDLE);
  const empty = useStore((state) => !state.parentLookup.get(id)?.size);
  const base = ['step-node', 'group-node', `cat-${spec?.category ?? 'unknown'}`];
  if (dropTarget === id) base.push('drop-target');
  const className = nodeClasses(base, { selected, status, hasIssues: !!nodeIssues });
  const items = typeof data.config.items === 'string' ? data.config.items : '';
  const issues = nodeIssues && issuesText(nodeIssues);

  return (
    <div className={className} data-testid={`node-${id}`} data-status={status ?? ''} data-node-type={data.nodeType} data-parent={parentId ?? ''}>
      <NodeResizer isVisible={selected && !readOnly} minWidth={260} minHeight={180} lineClassName="group-resize-line" handleClassName="group-resize-handle" onResizeStart={() => onResizeStart?.()} />
      <Handle type="target" position={Position.Top} className="handle-in" />
      <div className="group-head" style={{ height: GROUP_HEADER }} data-testid={`group-head-${id}`}>
        <div className="step-head">
          <span className="step-type">{spec?.label ?? data.nodeType} · group</span>
          <StatusBadge id={id} status={status} />
        </div>
        <div className="step-label">{data.label || spec?.label || id}</div>
        <div className="step-id group-id" title={items ? `items: ${items}` : undefined}>
          {id}
          {items && <span className="group-items"> · {items}</span>}
          {issues && (
            <span className="step-issues" title={issues.title}>
              {' '}{issues.text}
            </span>
          )}
        </div>
        <span className="handle-label handle-item group-item-label">item ↓</span>
        <Handle
          id={ITEM_HANDLE}
          type="source"
          position={Position.Bottom}
          className="handle-out handle-item"
          style={{ top: GROUP_HEADER, left: 24 }}
          data-testid={`handle-${id}-${ITEM_HANDLE}`}
        />
      </div>
      <div className="group-hint muted small">{empty ? 'Drop nodes here: they run once per item' : ''}</div>
      <HandleLabels handles={after} errorHandle={errorHandle} className="group-after-labels" />
      <OutputHandles id={id} handles={after} errorHandle={errorHandle} />
    </div>
  );
}

export const ForEachNodeView = memo(ForEachNodeViewImpl);
