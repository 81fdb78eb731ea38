/**
 * The catalogue's JSON Schema (pydantic's) → a schema and uiSchema @rjsf renders well:
 * $refs inlined, `X | null` shown as X, "number or {{ expression }}" and untyped values as one
 * text field, free-form objects as a JSON editor, long texts as text areas.
 */
import type { JSONSchema } from '../api/types';

export type UiSchema = Record<string, unknown>;
export interface PreparedSchema {
  schema: JSONSchema;
  uiSchema: UiSchema;
}

/** Custom @rjsf field names (registered in editor/forms/fields.tsx). */
export const VALUE_FIELD = 'value';
export const JSON_FIELD = 'json';
export const HIDDEN_FIELD = 'hidden';
export const PIPELINES_FIELD = 'pipelinePicker';
export const WATCHED_FIELDS_FIELD = 'watchedFields';
const SCALARS = new Set(['string', 'number', 'integer', 'boolean']);
const KEEP = ['title', 'description', 'default', 'examples'];

function resolve(schema: JSONSchema, root: JSONSchema): JSONSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    target = (target as Record<string, unknown> | undefined)?.[part];
  }
  const { $ref: _ref, ...rest } = schema;
  void _ref;
  // A definition's own title ("ConditionRule") is a class name, not a label: drop it.
  const { title: _title, ...definition } = target as JSONSchema;
  void _title;
  return { ...definition, ...rest };
}

function annotations(schema: JSONSchema): JSONSchema {
  return Object.fromEntries(KEEP.filter((k) => k in schema).map((k) => [k, schema[k]]));
}

function isScalarOption(option: JSONSchema): boolean {
  return typeof option.type === 'string' && SCALARS.has(option.type);
}

function walk(input: JSONSchema, root: JSONSchema, depth: number): PreparedSchema {
  if (depth > 20) return { schema: annotations(input), uiSchema: { 'ui:field': JSON_FIELD } };
  const schema = resolve(input, root);
  const options = (schema.anyOf ?? schema.oneOf) as JSONSchema[] | undefined;
  if (Array.isArray(options)) {
    const resolved = options.map((o) => resolve(o, root));
    const nonNull = resolved.filter((o) => o.type !== 'null');
    const base = annotations(schema);
    if (base.default === null) delete base.default;
    if (nonNull.length === 1) {
      const inner = walk(nonNull[0], root, depth + 1);
      return { schema: { ...inner.schema, ...base }, uiSchema: inner.uiSchema };
    }
    if (nonNull.every(isScalarOption)) {
      const hint = nonNull.some((o) => o.type === 'string' && typeof o.pattern === 'string')
        ? 'a value or a {{ expression }}'
        : undefined;
      return { schema: base, uiSchema: { 'ui:field': VALUE_FIELD, 'ui:placeholder': hint } };
    }
    return { schema: base, uiSchema: { 'ui:field': JSON_FIELD } };
  }
  if ('const' in schema) {
    return { schema: { ...schema, default: schema.const }, uiSchema: { 'ui:widget': 'hidden' } };
  }
  const type = schema.type;
  if (type === 'object') {
    const properties = schema.properties as Record<string, JSONSchema> | undefined;
    if (!properties || Object.keys(properties).length === 0) {
      return { schema: { ...annotations(schema), type: 'object' }, uiSchema: { 'ui:field': JSON_FIELD } };
    }
    const outProps: Record<string, JSONSchema> = {};
    const ui: UiSchema = {};
    for (const [name, prop] of Object.entries(properties)) {
      const inner = walk(prop, root, depth + 1);
      outProps[name] = inner.schema;
      if (Object.keys(inner.uiSchema).length) ui[name] = inner.uiSchema;
    }
    const { $defs: _defs, additionalProperties: _ap, ...rest } = schema;
    void _defs;
    void _ap;
    return { schema: { ...rest, properties: outProps }, uiSchema: ui };
  }
  if (type === 'array' && schema.items && typeof schema.items === 'object') {
    const inner = walk(schema.items as JSONSchema, root, depth + 1);
    const ui: UiSchema = Object.keys(inner.uiSchema).length ? { items: inner.uiSchema } : {};
    return { schema: { ...schema, items: inner.schema }, uiSchema: ui };
  }
  if (type === undefined && !('enum' in schema)) {
    return { schema: annotations(schema), uiSchema: { 'ui:field': VALUE_FIELD } };
  }
  if (type === 'string' && typeof schema.maxLength === 'number' && schema.maxLength > 1000) {
    return { schema, uiSchema: { 'ui:widget': 'textarea' } };
  }
  return { schema, uiSchema: {} };
}

export function prepareSchema(schema: JSONSchema | undefined): PreparedSchema {
  if (!schema) return { schema: { type: 'object', properties: {} }, uiSchema: {} };
  const prepared = walk(schema, schema, 0);
  const { title: _title, description: _description, ...rest } = prepared.schema;
  void _title;
  void _description;
  return { schema: rest, uiSchema: prepared.uiSchema };
}

/** Text typed in a value field → the value saved (numbers, booleans and null parse). */
export function parseValueText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (trimmed === 'null') return null;
  return text;
}

export function valueText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
