/** Custom @rjsf fields: a value-or-expression text field and a JSON editor for free objects. */
import { useEffect, useState } from 'react';
import type { FieldErrorProps, FieldProps, RegistryFieldsType } from '@rjsf/utils';
import {
  HIDDEN_FIELD,
  JSON_FIELD,
  PIPELINES_FIELD,
  VALUE_FIELD,
  WATCHED_FIELDS_FIELD,
  parseValueText,
  valueText,
} from '../../model/schema';
import { PipelinePickerField, WatchedFieldsField } from './pickers';

function FieldFrame({ props, children }: { props: FieldProps; children: React.ReactNode }) {
  const { schema, fieldPathId, rawErrors, required, name } = props;
  const title = (schema.title as string | undefined) ?? name;
  return (
    <div className={`form-group field custom-field${rawErrors?.length ? ' field-error' : ''}`}>
      {title && (
        <label className="control-label" htmlFor={fieldPathId.$id}>
          {title}
          {required ? <span className="required">*</span> : null}
        </label>
      )}
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

/** Text in, a number / boolean / null / text (or {{ expression }}) out. */
export function ValueField(props: FieldProps) {
  const { formData, onChange, fieldPathId, disabled, readonly, uiSchema } = props;
  const placeholder = (uiSchema?.['ui:placeholder'] as string | undefined) ?? 'a value or a {{ expression }}';
  return (
    <FieldFrame props={props}>
      <input
        id={fieldPathId.$id}
        className="form-control"
        type="text"
        value={valueText(formData)}
        placeholder={placeholder}
        disabled={disabled || readonly}
        onChange={(e) => onChange(parseValueText(e.target.value), fieldPathId.path)}
      />
    </FieldFrame>
  );
}

/** A JSON object edited as text; applied when it parses. */
export function JsonField(props: FieldProps) {
  const { formData, onChange, fieldPathId, disabled, readonly } = props;
  const serialised = formData === undefined ? '' : JSON.stringify(formData, null, 2);
  const [text, setText] = useState(serialised);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    // Follow outside changes (undo, another node) unless the text already means the same.
    setText((current) => {
      try {
        if (current.trim() && JSON.stringify(JSON.parse(current)) === JSON.stringify(formData)) return current;
      } catch {
        /* the current text is being edited and does not parse yet */
      }
      return serialised;
    });
  }, [serialised, formData]);

  const change = (value: string) => {
    setText(value);
    if (!value.trim()) {
      setProblem(null);
      onChange(undefined, fieldPathId.path);
      return;
    }
    try {
      const parsed: unknown = JSON.parse(value);
      const wantsObject = props.schema.type === 'object';
      if (wantsObject && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
        setProblem('Expected a JSON object: { "key": value }');
        return;
      }
      setProblem(null);
      onChange(parsed, fieldPathId.path);
    } catch (exc) {
      setProblem(`Not valid JSON yet: ${(exc as Error).message}`);
    }
  };

  return (
    <FieldFrame props={props}>
      <textarea
        id={fieldPathId.$id}
        className="form-control json-input"
        spellCheck={false}
        rows={Math.min(12, Math.max(3, text.split('\n').length))}
        value={text}
        placeholder={props.schema.type === 'object' ? '{ }' : 'JSON value'}
        disabled={disabled || readonly}
        onChange={(e) => change(e.target.value)}
      />
      {problem && <p className="json-problem">{problem}</p>}
    </FieldFrame>
  );
}

/** Renders nothing (fields that do not apply, e.g. another trigger type's); the value stays. */
export function HiddenField() {
  return null;
}

export const customFields: RegistryFieldsType = {
  [VALUE_FIELD]: ValueField,
  [JSON_FIELD]: JsonField,
  [HIDDEN_FIELD]: HiddenField,
  [PIPELINES_FIELD]: PipelinePickerField,
  [WATCHED_FIELDS_FIELD]: WatchedFieldsField,
};

/** Field errors, each once (server errors arrive both as extra errors and in the schema). */
export function FieldErrors({ errors }: FieldErrorProps) {
  const unique = [...new Set((errors ?? []).filter((e) => typeof e === 'string'))] as string[];
  if (!unique.length) return null;
  return (
    <ul className="error-detail">
      {unique.map((error) => (
        <li key={error} className="text-danger">{error}</li>
      ))}
    </ul>
  );
}
