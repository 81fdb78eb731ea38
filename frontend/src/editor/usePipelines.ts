/** The tenant's pipelines (`GET /api/pipelines`), loaded once per tenant and page, shared. */
import { useEffect, useState } from 'react';
import { currentTenant } from '../api/client';
import { listPipelines } from '../api/endpoints';
import type { Pipeline } from '../api/types';

let cached: { tenant: string | null; promise: Promise<Pipeline[]> } | null = null;

export function usePipelines(enabled: boolean): { pipelines: Pipeline[] | null; error: string | null } {
  const [state, setState] = useState<{ pipelines: Pipeline[] | null; error: string | null }>({ pipelines: null, error: null });
  useEffect(() => {
    if (!enabled) return undefined;
    let live = true;
    const tenant = currentTenant();
    if (!cached || cached.tenant !== tenant) cached = { tenant, promise: listPipelines() };
    cached.promise
      .then((pipelines) => live && setState({ pipelines, error: null }))
      .catch((exc: Error) => {
        cached = null; // try again next time
        if (live) setState({ pipelines: null, error: exc.message });
      });
    return () => {
      live = false;
    };
  }, [enabled]);
  return state;
}
