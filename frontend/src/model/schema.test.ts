/** Catalogue schemas become forms @rjsf renders: no $ref left, expression-friendly fields. */
import { describe, expect, it } from 'vitest';
import { catalogue, spec } from '../test/fixtures';
import { JSON_FIELD, VALUE_FIELD, parseValueText, prepareSchema, valueText } from './schema';

describe('prepareSchema', () => {
  it.each(catalogue.node_types.map((n) => [n.type]))('%s prepares with every $ref inlined', (type) => {
    const prepared = prepareSchema(spec(type).config_schema);
    expect(JSON.stringify(prepared.schema)).not.toContain('$ref');
    expect(prepared.schema.type).toBe('object');
  });

  it('turns "id or expression" into a value field and free objects into a JSON editor', () => {
    const { schema, uiSchema } = prepareSchema(spec('record_update').config_schema);
    expect(uiSchema.record_id).toMatchObject({ 'ui:field': VALUE_FIELD });
    expect(uiSchema.data).toMatchObject({ 'ui:field': JSON_FIELD });
    expect(schema.required).toEqual(['pipeline', 'record_id', 'data']);
  });

  it('inlines array items without their class name as a title', () => {
    const { schema, uiSchema } = prepareSchema(spec('condition').config_schema);
    const items = (schema.properties as Record<string, { items: Record<string, unknown> }>).rules.items;
    expect(items.title).toBeUndefined();
    expect((uiSchema.rules as { items: Record<string, unknown> }).items.left).toMatchObject({ 'ui:field': VALUE_FIELD });
  });

  it('shows "X or null" as X', () => {
    const { schema } = prepareSchema(spec('task_notify').config_schema);
    const role = (schema.properties as Record<string, Record<string, unknown>>).assign_to_role;
    expect(role.enum).toContain('editor');
    expect(role.default).toBeUndefined();
  });
});

describe('value fields', () => {
  it('read numbers, booleans and null, and keep text and expressions', () => {
    expect(parseValueText('42')).toBe(42);
    expect(parseValueText('-1.5')).toBe(-1.5);
    expect(parseValueText('true')).toBe(true);
    expect(parseValueText('null')).toBeNull();
    expect(parseValueText('')).toBeUndefined();
    expect(parseValueText('{{ trigger.amount }}')).toBe('{{ trigger.amount }}');
    expect(parseValueText('lead')).toBe('lead');
    expect(valueText(42)).toBe('42');
    expect(valueText('x')).toBe('x');
  });
});
