/**
 * A for_each node drawn as a resizable group (a React Flow sub-flow): its body nodes live
 * inside it (`parentId`), the `item` handle under its header leads into the body, `done` (and
 * `error` when on_error is branch) at its bottom lead on after the loop.
 */
import { memo, useEffect } from 'react';
import { Handle, NodeResizer, Position, useStore, useUpdateNodeInternals, type NodeProps } from '@xyflow/react';
import type { StepNode } from '../model/definition';
import { GROUP_HEADER, ITEM_HANDLE } from '../model/groups';
import { outputHandles } from '../model/handles';
import { useEditorContext } from './context';
import { STATUS_TEXT } from './StepNodeView';

function ForEachNodeViewImpl({ id, data, selected, parentId }: NodeProps<StepNode>) {
  const { specs, errorHandle, issues, runStatus, readOnly, dropTarget, onResizeStart } = useEditorContext();
  const spec = specs.get(data.nodeType);
  const handles = outputHandles(spec, data.config, data.settings, errorHandle);
  const after = handles.filter((h) => h !== ITEM_HANDLE);
  const status = runStatus.get(id);
  const nodeIssues = issues.byNode.get(id);
  const updateNodeInternals = useUpdateNodeInternals();
  const handleKey = handles.join('|');
  const empty = useStore((state) => !state.parentLookup.get(id)?.size);
  useEffect(() => updateNodeInternals(id), [id, handleKey, updateNodeInternals]);

  const classes = ['step-node', 'group-node', `cat-${spec?.category ?? 'unknown'}`];
  if (selected) classes.push('selected');
  if (status) classes.push(`run-${status}`);
  if (nodeIssues) classes.push('has-issues');
  if (dropTarget === id) classes.push('drop-target');
  const items = typeof data.config.items === 'string' ? data.config.items : '';

  return (
    <div className={classes.join(' ')} data-testid={`node-${id}`} data-status={status ?? ''} data-node-type={data.nodeType} data-parent={parentId ?? ''}>
      <NodeResizer isVisible={selected && !readOnly} minWidth={260} minHeight={180} lineClassName="group-resize-line" handleClassName="group-resize-handle" onResizeStart={() => onResizeStart?.()} />
      <Handle type="target" position={Position.Top} className="handle-in" />
      <div className="group-head" style={{ height: GROUP_HEADER }} data-testid={`group-head-${id}`}>
        <div className="step-head">
          <span className="step-type">{spec?.label ?? data.nodeType} · group</span>
          {status && <span className={`run-badge run-${status}`} data-testid={`status-${id}`}>{STATUS_TEXT[status] ?? status}</span>}
        </div>
        <div className="step-label">{data.label || spec?.label || id}</div>
        <div className="step-id group-id" title={items ? `items: ${items}` : undefined}>
          {id}
          {items && <span className="group-items"> · {items}</span>}
          {nodeIssues && (
            <span className="step-issues" title={nodeIssues.map((i) => i.message).join('\n')}>
              {' '}⚠ {nodeIssues.length} issue{nodeIssues.length > 1 ? 's' : ''}
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
      <div className="handle-labels group-after-labels">
        {after.map((h) => (
          <span key={h} className={`handle-label handle-${h === errorHandle ? 'error' : h}`}>{h}</span>
        ))}
      </div>
      {after.map((h, index) => (
        <Handle
          key={h}
          id={h}
          type="source"
          position={Position.Bottom}
          className={`handle-out handle-${h === errorHandle ? 'error' : h}`}
          style={{ left: `${((index + 1) / (after.length + 1)) * 100}%` }}
          data-testid={`handle-${id}-${h}`}
        />
      ))}
    </div>
  );
}

export const ForEachNodeView = memo(ForEachNodeViewImpl);
