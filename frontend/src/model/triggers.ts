/** Which trigger config fields matter for each trigger type (the others are hidden). */

const RECORD_EVENT = ['pipelines', 'conditions', 'combine', 'batch'];

export const TRIGGER_FIELDS: Record<string, string[]> = {
  manual: [],
  record_created: RECORD_EVENT,
  record_updated: RECORD_EVENT,
  record_deleted: RECORD_EVENT,
  field_changed: [...RECORD_EVENT, 'fields', 'from_value', 'to_value'],
  schedule: ['cron', 'timezone'],
  webhook: ['batch'],
};
const ALWAYS = new Set(['trigger_type', 'sample_payload']);
const KNOWN = new Set(Object.values(TRIGGER_FIELDS).flat());

/** Fields of the trigger schema to hide for this trigger type (unknown fields stay shown). */
export function hiddenTriggerFields(triggerType: string, properties: string[]): string[] {
  const wanted = new Set(TRIGGER_FIELDS[triggerType] ?? [...KNOWN]);
  return properties.filter((name) => !ALWAYS.has(name) && KNOWN.has(name) && !wanted.has(name));
}
