/**
 * The record trigger's pickers: the tenant's pipelines (`GET /api/pipelines`) for `pipelines`,
 * and for `fields` (field_changed) the fields the chosen pipelines declare. A pipeline's
 * `fields` are optional declarations (`[{"name": "stage", "type": "text"}, ...]`, or names);
 * pipelines without any leave the watched fields as free text.
 */
import type { Pipeline } from '../api/types';
import { TRIGGER_FIELDS } from './triggers';

export interface FieldOption {
  name: string;
  type: string | null;
  /** The pipelines that declare it (slugs). */
  pipelines: string[];
}

/** A pipeline's declared field names and types, in its order; malformed entries are skipped. */
export function declaredFields(pipeline: Pipeline): { name: string; type: string | null }[] {
  const out: { name: string; type: string | null }[] = [];
  for (const entry of Array.isArray(pipeline.fields) ? pipeline.fields : []) {
    const name = typeof entry === 'string' ? entry : entry && typeof entry === 'object' ? (entry as { name?: unknown }).name : null;
    if (typeof name !== 'string' || !name || out.some((f) => f.name === name)) continue;
    const type = entry && typeof entry === 'object' ? (entry as { type?: unknown }).type : null;
    out.push({ name, type: typeof type === 'string' ? type : null });
  }
  return out;
}

/**
 * The fields to offer for the chosen pipelines (none chosen: every pipeline, as the trigger
 * then watches them all), each once, in the pipelines' order.
 */
export function fieldOptions(pipelines: Pipeline[], chosen: string[]): FieldOption[] {
  const wanted = chosen.length ? pipelines.filter((p) => chosen.includes(p.slug)) : pipelines;
  const options: FieldOption[] = [];
  for (const pipeline of wanted) {
    for (const field of declaredFields(pipeline)) {
      const known = options.find((o) => o.name === field.name);
      if (known) known.pipelines.push(pipeline.slug);
      else options.push({ ...field, pipelines: [pipeline.slug] });
    }
  }
  return options;
}

/** Toggle a value in a list (kept in the order given by `order`, unknown values last). */
export function toggled(values: string[], value: string, on: boolean, order: string[] = []): string[] {
  const next = on ? (values.includes(value) ? values : [...values, value]) : values.filter((v) => v !== value);
  const rank = (v: string) => (order.includes(v) ? order.indexOf(v) : order.length);
  return [...next].sort((a, b) => rank(a) - rank(b));
}

export function isRecordTrigger(triggerType: string): boolean {
  return (TRIGGER_FIELDS[triggerType] ?? []).includes('pipelines');
}
