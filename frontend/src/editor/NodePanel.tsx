/** The side panel of the selected node: label, config form, common settings, run details. */
import { useMemo, useState } from 'react';
import type { Catalogue, JsonObject, ValidationIssue } from '../api/types';
import type { StepNode } from '../model/definition';
import { fieldErrorSchema, nodeLevelIssues } from '../model/errors';
import type { Suggestion } from '../model/expressions';
import { ExpressionHelp } from './ExpressionHelp';
import { SchemaForm } from './forms/SchemaForm';
import { RunDetails } from './RunDetails';
import { TriggerPanel } from './TriggerPanel';
import { hiddenTriggerFields } from '../model/triggers';
import { HIDDEN_FIELD, PIPELINES_FIELD, WATCHED_FIELDS_FIELD } from '../model/schema';
import { isRecordTrigger } from '../model/pipelines';
import { usePipelines } from './usePipelines';
import type { NodeRun } from './useExecution';

interface Props {
  workflowId: string;
  publishedVersion: number | null;
  node: StepNode;
  catalogue: Catalogue;
  issues: ValidationIssue[];
  readOnly: boolean;
  run: NodeRun | undefined;
  hasExecution: boolean;
  suggestions: { trigger: Suggestion[]; upstream: Suggestion[] };
  onChange: (nodeId: string, patch: Partial<StepNode['data']>) => void;
  onDelete: (nodeId: string) => void;
}

export function NodePanel(props: Props) {
  const { workflowId, publishedVersion, node, catalogue, issues, readOnly, run, hasExecution, suggestions, onChange, onDelete } = props;
  const spec = catalogue.node_types.find((n) => n.type === node.data.nodeType);
  const [tab, setTab] = useState<'config' | 'run'>(hasExecution && run ? 'run' : 'config');
  const general = nodeLevelIssues(issues);
  const settingsSchema = catalogue.node_settings_schema;
  const triggerType = typeof node.data.config.trigger_type === 'string' ? node.data.config.trigger_type : 'manual';
  const recordTrigger = Boolean(spec?.is_trigger) && isRecordTrigger(triggerType);
  const pipelines = usePipelines(recordTrigger);
  const chosenKey = JSON.stringify(node.data.config.pipelines ?? []);
  const hidden = useMemo(() => {
    if (!spec?.is_trigger) return {};
    const properties = Object.keys((spec.config_schema.properties as object | undefined) ?? {});
    const ui: Record<string, unknown> = Object.fromEntries(
      hiddenTriggerFields(triggerType, properties).map((name) => [name, { 'ui:field': HIDDEN_FIELD }]),
    );
    // Record events: pick the tenant's pipelines, and the watched fields from theirs.
    if (recordTrigger) {
      const chosen = (JSON.parse(chosenKey) as unknown[]).filter((v): v is string => typeof v === 'string');
      const options = { pipelines: pipelines.pipelines, error: pipelines.error, chosen };
      if (properties.includes('pipelines')) ui.pipelines = { 'ui:field': PIPELINES_FIELD, 'ui:options': options };
      if (properties.includes('fields') && !ui.fields) ui.fields = { 'ui:field': WATCHED_FIELDS_FIELD, 'ui:options': options };
    }
    return ui;
  }, [spec, triggerType, recordTrigger, pipelines, chosenKey]);

  return (
    <aside className="side-panel" aria-label="Node settings" data-testid="node-panel">
      <header className="panel-head">
        <div>
          <div className="muted small">{spec?.label ?? node.data.nodeType}</div>
          <h2>{node.data.label || spec?.label || node.id}</h2>
          <div className="muted small">
            id <code data-testid="node-id">{node.id}</code> · use <code>{`{{ nodes.${node.id} }}`}</code>
          </div>
        </div>
        {!readOnly && (
          <button type="button" className="danger small" onClick={() => onDelete(node.id)}>Delete</button>
        )}
      </header>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === 'config'} className={tab === 'config' ? 'active' : ''} onClick={() => setTab('config')}>
          Configure
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'run'}
          className={tab === 'run' ? 'active' : ''}
          disabled={!hasExecution}
          onClick={() => setTab('run')}
          data-testid="tab-run"
        >
          Last run {run ? `· ${run.status}` : ''}
        </button>
      </div>
      {tab === 'run' ? (
        <RunDetails run={run} />
      ) : (
        <div className="panel-body">
          {general.length > 0 && (
            <ul className="issue-list" data-testid="node-issues">
              {general.map((issue) => (
                <li key={`${issue.code}-${issue.field}-${issue.edge_id}`}>
                  <code>{issue.code}</code> {issue.message}
                </li>
              ))}
            </ul>
          )}
          {spec?.summary && <p className="muted small">{spec.summary}</p>}
          <label className="control-label" htmlFor="node-label">Label</label>
          <input
            id="node-label"
            className="form-control"
            value={node.data.label}
            maxLength={500}
            disabled={readOnly}
            onChange={(e) => onChange(node.id, { label: e.target.value })}
          />
          {spec?.is_trigger && (
            <TriggerPanel
              workflowId={workflowId}
              triggerType={triggerType}
              canEdit={!readOnly}
              publishedVersion={publishedVersion}
            />
          )}
          {spec ? (
            <SchemaForm
              id={`cfg-${node.id}`}
              key={`cfg-${node.id}`}
              schema={spec.config_schema}
              value={node.data.config}
              extraUiSchema={hidden}
              errors={fieldErrorSchema(issues, 'config')}
              disabled={readOnly}
              onChange={(config: JsonObject) => onChange(node.id, { config })}
            />
          ) : (
            <p className="banner error">Unknown node type “{node.data.nodeType}”: it is not in the catalogue.</p>
          )}
          {settingsSchema && !spec?.is_trigger && (
            <details className="node-settings" open={issues.some((i) => i.field?.startsWith('settings'))}>
              <summary>On error &amp; retries</summary>
              <SchemaForm
                id={`set-${node.id}`}
                key={`set-${node.id}`}
                schema={settingsSchema}
                value={node.data.settings ?? {}}
                errors={fieldErrorSchema(issues, 'settings')}
                disabled={readOnly}
                onChange={(settings: JsonObject) => onChange(node.id, { settings })}
              />
            </details>
          )}
          <ExpressionHelp trigger={suggestions.trigger} upstream={suggestions.upstream} />
        </div>
      )}
    </aside>
  );
}
