/** The record trigger's pickers: pipelines' declared fields, toggling, which triggers get them. */
import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../api/types';
import { declaredFields, fieldOptions, isRecordTrigger, toggled } from './pipelines';

const deals: Pipeline = {
  slug: 'deals',
  name: 'Deals',
  fields: [{ name: 'name', type: 'text' }, { name: 'stage', type: 'select', options: ['lead', 'won'] }, { name: 'stage' }, 'owner', 42, {}],
};
const leads: Pipeline = { slug: 'leads', name: 'Leads', fields: [{ name: 'stage', type: 'text' }, { name: 'source' }] };
const bare: Pipeline = { slug: 'notes', name: 'Notes', fields: [] };

describe('pipeline fields', () => {
  it('reads declarations (objects or names), each once, skipping malformed entries', () => {
    expect(declaredFields(deals)).toEqual([
      { name: 'name', type: 'text' },
      { name: 'stage', type: 'select' },
      { name: 'owner', type: null },
    ]);
    expect(declaredFields(bare)).toEqual([]);
  });

  it('offers the chosen pipelines’ fields, or every pipeline’s when none is chosen', () => {
    expect(fieldOptions([deals, leads, bare], ['leads']).map((f) => f.name)).toEqual(['stage', 'source']);
    const all = fieldOptions([deals, leads, bare], []);
    expect(all.map((f) => f.name)).toEqual(['name', 'stage', 'owner', 'source']);
    expect(all.find((f) => f.name === 'stage')!.pipelines).toEqual(['deals', 'leads']);
    expect(fieldOptions([bare], ['notes'])).toEqual([]);
  });

  it('toggles values in the pickers’ order, unknown values last', () => {
    expect(toggled(['leads'], 'deals', true, ['deals', 'leads'])).toEqual(['deals', 'leads']);
    expect(toggled(['gone', 'deals'], 'deals', false, ['deals'])).toEqual(['gone']);
    expect(toggled(['deals'], 'deals', true, ['deals'])).toEqual(['deals']);
  });

  it('applies to record events only', () => {
    expect(['record_created', 'record_updated', 'field_changed', 'record_deleted'].every(isRecordTrigger)).toBe(true);
    expect(['manual', 'schedule', 'webhook'].some(isRecordTrigger)).toBe(false);
  });
});
