/** What the canvas's node views share: their state hook, CSS classes, status and issue badges
 * and output handles. */
import { useEffect } from 'react';
import { Handle, Position, useUpdateNodeInternals } from '@xyflow/react';
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

/** A node's spec, output handles, run status and validation issues; React Flow is told when
 * its handles change. */
export function useNodeView(id: string, data: StepNode['data']) {
  const context = useEditorContext();
  const spec = context.specs.get(data.nodeType);
  const handles = outputHandles(spec, data.config, data.settings, context.errorHandle);
  const updateNodeInternals = useUpdateNodeInternals();
  const handleKey = handles.join('|');
  useEffect(() => updateNodeInternals(id), [id, handleKey, updateNodeInternals]);
  return {
    context,
    spec,
    handles,
    status: context.runStatus.get(id),
    nodeIssues: context.issues.byNode.get(id),
  };
}

export function nodeClasses(
  base: string[],
  { selected, status, hasIssues }: { selected?: boolean; status?: string; hasIssues: boolean },
): string {
  const classes = [...base];
  if (selected) classes.push('selected');
  if (status) classes.push(`run-${status}`);
  if (hasIssues) classes.push('has-issues');
  return classes.join(' ');
}

export function StatusBadge({ id, status }: { id: string; status?: string }) {
  if (!status) return null;
  return (
    <span className={`run-badge run-${status}`} data-testid={`status-${id}`}>
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

export function issuesText(issues: { message: string }[]): { title: string; text: string } {
  return {
    title: issues.map((i) => i.message).join('\n'),
    text: `⚠ ${issues.length} issue${issues.length > 1 ? 's' : ''}`,
  };
}

export function handleClass(handle: string, errorHandle: string): string {
  return `handle-${handle === errorHandle ? 'error' : handle}`;
}

export function HandleLabels({ handles, errorHandle, className = '' }: { handles: string[]; errorHandle: string; className?: string }) {
  return (
    <div className={`handle-labels ${className}`.trim()}>
      {handles.map((h) => (
        <span key={h} className={`handle-label ${handleClass(h, errorHandle)}`}>{h}</span>
      ))}
    </div>
  );
}

/** The output handles, spread along the node's bottom edge. */
export function OutputHandles({ id, handles, errorHandle }: { id: string; handles: string[]; errorHandle: string }) {
  return (
    <>
      {handles.map((h, index) => (
        <Handle
          key={h}
          id={h}
          type="source"
          position={Position.Bottom}
          className={`handle-out ${handleClass(h, errorHandle)}`}
          style={{ left: `${((index + 1) / (handles.length + 1)) * 100}%` }}
          data-testid={`handle-${id}-${h}`}
        />
      ))}
    </>
  );
}
