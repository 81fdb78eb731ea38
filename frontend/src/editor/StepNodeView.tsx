/** One workflow node on the canvas: label, type, status, input handle and output handles. */
import { memo, useEffect } from 'react';
import { Handle, Position, useUpdateNodeInternals, type NodeProps } from '@xyflow/react';
import type { StepNode } from '../model/definition';
import { outputHandles } from '../model/handles';
import { useEditorContext } from './context';

export const STATUS_TEXT: Record<string, string> = {
  pending: 'pending',
  running: 'running…',
  success: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  waiting: 'waiting',
};

function StepNodeViewImpl({ id, data, selected, parentId }: NodeProps<StepNode>) {
  const { specs, errorHandle, issues, runStatus } = useEditorContext();
  const spec = specs.get(data.nodeType);
  const handles = outputHandles(spec, data.config, data.settings, errorHandle);
  const status = runStatus.get(id);
  const nodeIssues = issues.byNode.get(id);
  const updateNodeInternals = useUpdateNodeInternals();
  const handleKey = handles.join('|');

  useEffect(() => updateNodeInternals(id), [id, handleKey, updateNodeInternals]);

  const classes = ['step-node', `cat-${spec?.category ?? 'unknown'}`];
  if (selected) classes.push('selected');
  if (status) classes.push(`run-${status}`);
  if (nodeIssues) classes.push('has-issues');

  return (
    <div className={classes.join(' ')} data-testid={`node-${id}`} data-status={status ?? ''} data-node-type={data.nodeType} data-parent={parentId ?? ''}>
      {!spec?.is_trigger && <Handle type="target" position={Position.Top} className="handle-in" />}
      <div className="step-head">
        <span className="step-type">{spec?.label ?? `Unknown type: ${data.nodeType}`}</span>
        {status && <span className={`run-badge run-${status}`} data-testid={`status-${id}`}>{STATUS_TEXT[status] ?? status}</span>}
      </div>
      <div className="step-label">{data.label || spec?.label || id}</div>
      <div className="step-id">{id}</div>
      {status === 'waiting' && (
        <div className="step-waiting" data-testid={`waiting-${id}`}>
          ◷ {data.nodeType === 'approval' ? 'waiting for a decision' : 'suspended until due'}
        </div>
      )}
      {nodeIssues && (
        <div className="step-issues" title={nodeIssues.map((i) => i.message).join('\n')}>
          ⚠ {nodeIssues.length} issue{nodeIssues.length > 1 ? 's' : ''}
        </div>
      )}
      {handles.length > 1 || (handles.length === 1 && handles[0] !== 'out') ? (
        <div className="handle-labels">
          {handles.map((h) => (
            <span key={h} className={`handle-label handle-${h === errorHandle ? 'error' : h}`}>{h}</span>
          ))}
        </div>
      ) : null}
      {handles.map((h, index) => (
        <Handle
          key={h}
          id={h}
          type="source"
          position={Position.Bottom}
          className={`handle-out handle-${h === errorHandle ? 'error' : h}`}
          style={{ left: `${((index + 1) / (handles.length + 1)) * 100}%` }}
          data-testid={`handle-${id}-${h}`}
        />
      ))}
    </div>
  );
}

export const StepNodeView = memo(StepNodeViewImpl);
