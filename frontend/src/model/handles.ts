/** Output handles of a node: from the catalogue, its config (dynamic) and its settings. */
import type { JsonObject, NodeTypeSpec } from '../api/types';

export const ERROR_HANDLE = 'error';

/** Handles derived from config for node types with `dynamic_handles` (labels → one each). */
function dynamicHandles(config: JsonObject): string[] {
  const labels = config.labels;
  if (!Array.isArray(labels)) return [];
  const names: string[] = [];
  for (const label of labels) {
    const name = label && typeof label === 'object' && !Array.isArray(label) ? label.name : label;
    if (typeof name === 'string' && name && !names.includes(name)) names.push(name);
  }
  return names;
}

export function outputHandles(
  spec: NodeTypeSpec | undefined,
  config: JsonObject,
  settings: JsonObject | undefined,
  errorHandle = ERROR_HANDLE,
): string[] {
  if (!spec) return [];
  const handles = spec.dynamic_handles
    ? [...dynamicHandles(config), ...spec.handles.filter((h) => !dynamicHandles(config).includes(h))]
    : [...spec.handles];
  if (settings?.on_error === 'branch' && !handles.includes(errorHandle)) handles.push(errorHandle);
  return handles;
}

/** The handle an edge leaves from, with the server's default (no handle → the only one). */
export function effectiveHandle(sourceHandle: string | null | undefined, handles: string[]): string | null {
  if (sourceHandle) return sourceHandle;
  const success = handles.filter((h) => h !== ERROR_HANDLE);
  return success.length === 1 ? success[0] : null;
}
