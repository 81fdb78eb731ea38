/**
 * The record trigger's pickers (custom @rjsf fields): the tenant's pipelines as a multi-select,
 * and the watched fields of field_changed offered from the chosen pipelines' declared fields,
 * with free text for any other field (dots go deeper). Their data comes in `ui:options`
 * (see NodePanel): `pipelines` (null while loading), `error`, and `chosen` for the fields.
 */
import { useState } from 'react';
import type { FieldProps } from '@rjsf/utils';
import type { Pipeline } from '../../api/types';
import { fieldOptions, toggled } from '../../model/pipelines';

interface PickerOptions {
  pipelines?: Pipeline[] | null;
  error?: string | null;
  chosen?: string[];
}

function listOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function Frame({ props, children, testId }: { props: FieldProps; children: React.ReactNode; testId: string }) {
  const { schema, fieldPathId, rawErrors, name } = props;
  const title = (schema.title as string | undefined) ?? name;
  return (
    <div className={`form-group field custom-field trigger-picker${rawErrors?.length ? ' field-error' : ''}`} data-testid={testId}>
      <label className="control-label" id={`${fieldPathId.$id}-label`}>{title}</label>
      {children}
      {schema.description && <p className="field-description">{String(schema.description)}</p>}
      {rawErrors?.length ? (
        <ul className="error-detail">
          {[...new Set(rawErrors)].map((error) => (
            <li key={error} className="text-danger">{error}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function AddOther({ disabled, label, placeholder, onAdd }: { disabled: boolean; label: string; placeholder: string; onAdd: (v: string) => void }) {
  const [text, setText] = useState('');
  const add = () => {
    const value = text.trim();
    if (value) onAdd(value);
    setText('');
  };
  return (
    <div className="picker-add">
      <input
        className="form-control"
        aria-label={label}
        placeholder={placeholder}
        value={text}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            add();
          }
        }}
      />
      <button type="button" className="small" disabled={disabled || !text.trim()} onClick={add}>Add</button>
    </div>
  );
}

/** `pipelines`: the tenant's pipelines as checkboxes (none ticked: every pipeline). */
export function PipelinePickerField(props: FieldProps) {
  const { formData, onChange, fieldPathId, disabled, readonly, uiSchema } = props;
  const options = (uiSchema?.['ui:options'] ?? {}) as PickerOptions;
  const value = listOf(formData);
  const known = options.pipelines ?? [];
  const order = known.map((p) => p.slug);
  // Saved slugs the tenant no longer has stay visible (and can be unticked).
  const unknown = value.filter((slug) => !order.includes(slug));
  const off = Boolean(disabled || readonly);
  const set = (slug: string, on: boolean) => {
    const next = toggled(value, slug, on, order);
    onChange(next.length ? next : undefined, fieldPathId.path);
  };
  return (
    <Frame props={props} testId="pipeline-picker">
      <div className="picker-options" role="group" aria-labelledby={`${fieldPathId.$id}-label`}>
        {options.pipelines === null && !options.error && <span className="muted small">Loading pipelines…</span>}
        {options.error && <span className="json-problem">Pipelines not loaded: {options.error}</span>}
        {options.pipelines && !known.length && <span className="muted small">This tenant has no pipelines yet.</span>}
        {known.map((pipeline) => (
          <label key={pipeline.slug}>
            <input type="checkbox" checked={value.includes(pipeline.slug)} disabled={off} onChange={(e) => set(pipeline.slug, e.target.checked)} />
            {pipeline.name} <code className="muted">{pipeline.slug}</code>
          </label>
        ))}
        {unknown.map((slug) => (
          <label key={slug} title="Not a pipeline of this tenant (publish reports it if it is wrong)">
            <input type="checkbox" checked disabled={off} onChange={() => set(slug, false)} />
            <code>{slug}</code> <span className="muted small">(not found)</span>
          </label>
        ))}
      </div>
      <p className="muted small">{value.length ? `${value.length} chosen` : 'None chosen: every pipeline'}</p>
    </Frame>
  );
}

/** `fields` (field_changed): the chosen pipelines' declared fields, plus any other by name. */
export function WatchedFieldsField(props: FieldProps) {
  const { formData, onChange, fieldPathId, disabled, readonly, uiSchema } = props;
  const options = (uiSchema?.['ui:options'] ?? {}) as PickerOptions;
  const value = listOf(formData);
  const offered = fieldOptions(options.pipelines ?? [], options.chosen ?? []);
  const order = offered.map((f) => f.name);
  const others = value.filter((name) => !order.includes(name));
  const off = Boolean(disabled || readonly);
  const set = (name: string, on: boolean) => {
    const next = toggled(value, name, on, order);
    onChange(next.length ? next : undefined, fieldPathId.path);
  };
  return (
    <Frame props={props} testId="watched-fields">
      <div className="picker-options" role="group" aria-labelledby={`${fieldPathId.$id}-label`}>
        {offered.map((field) => (
          <label key={field.name} title={`declared by ${field.pipelines.join(', ')}`}>
            <input type="checkbox" checked={value.includes(field.name)} disabled={off} onChange={(e) => set(field.name, e.target.checked)} />
            {field.name} {field.type && <span className="muted small">{field.type}</span>}
          </label>
        ))}
        {others.map((name) => (
          <label key={name}>
            <input type="checkbox" checked disabled={off} onChange={() => set(name, false)} />
            <code>{name}</code>
          </label>
        ))}
        {!offered.length && !others.length && (
          <span className="muted small">
            {options.pipelines === null ? 'Loading fields…' : 'No declared fields: type the field names.'}
          </span>
        )}
      </div>
      {!off && <AddOther disabled={off} label="Another field" placeholder="field name (dots go deeper)" onAdd={(name) => set(name, true)} />}
    </Frame>
  );
}
