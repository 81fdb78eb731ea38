/** Read-only, pretty-printed JSON. */
import type { JsonValue } from '../api/types';

export function JsonView({ value, testId }: { value: JsonValue | undefined; testId?: string }) {
  const text = value === undefined ? '—' : JSON.stringify(value, null, 2);
  return <pre className="json-view" data-testid={testId}>{text}</pre>;
}
