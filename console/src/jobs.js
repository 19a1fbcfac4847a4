// Following one job live through GET /jobs/{id}/events.
import { useEffect, useState } from 'preact/hooks';
import { streamEvents } from './api.js';

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** The job as its event stream reports it: {job, error}. Null id: nothing followed. */
export function useJobEvents(jobId, onDone) {
  const [state, setState] = useState({ job: null, error: null });
  useEffect(() => {
    if (!jobId) return undefined;
    const abort = new AbortController();
    setState({ job: null, error: null });
    streamEvents('GET', `/jobs/${encodeURIComponent(jobId)}/events`, {
      signal: abort.signal,
      onEvent: ({ event, data }) => {
        const job = JSON.parse(data);
        setState({ job, error: null });
        if (event === 'done') onDone?.(job);
      },
    }).catch((error) => {
      if (error.name !== 'AbortError') setState((s) => ({ ...s, error }));
    });
    return () => abort.abort();
  }, [jobId]);
  return state;
}
