/** Load a workflow (and its published definition, to tell drafts from versions) and edit it. */
import { useEffect, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { getVersion, getWorkflow } from '../api/endpoints';
import type { Catalogue, Me, WorkflowDetail } from '../api/types';
import { definitionKey, fromFlow, toFlow } from '../model/definition';
import { Editor } from './Editor';

interface Props {
  workflowId: string;
  /** An execution to show at once (from the approvals inbox's "open the run"). */
  executionId: string | null;
  me: Me;
  catalogue: Catalogue;
}

export function EditorPage({ workflowId, executionId, me, catalogue }: Props) {
  const [loaded, setLoaded] = useState<{ workflow: WorkflowDetail; publishedKey: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    (async () => {
      const workflow = await getWorkflow(workflowId);
      let publishedKey: string | null = null;
      if (workflow.current_version) {
        const version = await getVersion(workflowId, workflow.current_version);
        publishedKey = definitionKey(fromFlow(toFlow(version.definition)));
      }
      setLoaded({ workflow, publishedKey });
    })().catch((exc: Error) => setError(exc.message));
  }, [workflowId]);

  if (error) return <div className="banner error" role="alert">{error}</div>;
  if (!loaded) return <div className="loading">Loading the workflow…</div>;
  return (
    <ReactFlowProvider>
      <Editor
        initialWorkflow={loaded.workflow}
        initialPublishedKey={loaded.publishedKey}
        initialExecutionId={executionId}
        me={me}
        catalogue={catalogue}
      />
    </ReactFlowProvider>
  );
}
