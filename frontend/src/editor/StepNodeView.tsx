/** One workflow node on the canvas: label, type, status, input handle and output handles. */
import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { StepNode } from '../model/definition';
import { HandleLabels, issuesText, nodeClasses, OutputHandles, StatusBadge, useNodeView } from './nodeParts';

function StepNodeViewImpl({ id, data, selected, parentId }: NodeProps<StepNode>) {
  const { context, spec, handles, status, nodeIssues } = useNodeView(id, data);
  const { errorHandle } = context;
  const className = nodeClasses(['step-node', `cat-${spec?.category ?? 'unknown'}`], {
    selected,
    status,
    hasIssues: !!nodeIssues,
  });
  const issues = nodeIssues && issuesText(nodeIssues);

  return (
    <div className={className} data-testid={`node-${id}`} data-status={status ?? ''} data-node-type={data.nodeType} data-parent={parentId ?? ''}>
      {!spec?.is_trigger && <Handle type="target" position={Position.Top} className="handle-in" />}
      <div className="step-head">
        <span className="step-type">{spec?.label ?? `Unknown type: ${data.nodeType}`}</span>
        <StatusBadge id={id} status={status} />
      </div>
      <div className="step-label">{data.label || spec?.label || id}</div>
      <div className="step-id">{id}</div>
      {status === 'waiting' && (
        <div className="step-waiting" data-testid={`waiting-${id}`}>
          ◷ {data.nodeType === 'approval' ? 'waiting for a decision' : 'suspended until due'}
        </div>
      )}
      {issues && (
        <div className="step-issues" title={issues.title}>
          {issues.text}
        </div>
      )}
      {handles.length > 1 || (handles.length === 1 && handles[0] !== 'out') ? (
        <HandleLabels handles={handles} errorHandle={errorHandle} />
      ) : null}
      <OutputHandles id={id} handles={handles} errorHandle={errorHandle} />
    </div>
  );
}

export const StepNodeView = memo(StepNodeViewImpl);
