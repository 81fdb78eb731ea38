/** The definition a new workflow starts with: a manual trigger. */
import type { JsonObject } from '../api/types';

export function starterDefinition(): JsonObject {
  return {
    nodes: [
      {
        id: 'trigger',
        type: 'trigger',
        position: { x: 0, y: 0 },
        data: { label: 'Run manually', config: { sample_payload: {} } },
      },
    ],
    edges: [],
    viewport: { x: 0, y: 0, zoom: 1 },
  };
}
