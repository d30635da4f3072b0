// Progressive loading of one trace (docs/ui.md "Large traces"): the observations arrive as summary
// pages (GET /api/v1/traces/{id}/observations?fields=summary, no input/output) and go into the
// view model page by page (model.ts), the view shows the first page at once and takes the rest in
// a few snapshots, and the detail panel fetches one observation in full when it is selected.
// Framework-free; the fetching is injected.

import type { Observation, ObservationPage, ObservationSummary, Trace } from '../shared/model';
import type { TraceModel, TraceModelBuilder } from './model';

// The largest page the API serves (store::kMaxListLimit): fewest round trips.
export const kMaxPageSize = 1000;

// The page size for a trace view: `page_size` from the page's query string (1..kMaxPageSize,
// documented in docs/ui.md; browser tests use it to make a small trace arrive in many pages),
// else kMaxPageSize.
export function pageSizeFrom(search: string): number {
  const value = Number(new URLSearchParams(search).get('page_size'));
  return Number.isInteger(value) && value >= 1 && value <= kMaxPageSize ? value : kMaxPageSize;
}

export function observationsPath(traceId: string, limit: number, cursor: string | null): string {
  const params = new URLSearchParams({ fields: 'summary', limit: String(limit) });
  if (cursor !== null) params.set('cursor', cursor);
  return `/api/v1/traces/${encodeURIComponent(traceId)}/observations?${params}`;
}

export function observationPath(traceId: string, observationId: string): string {
  return `/api/v1/traces/${encodeURIComponent(traceId)}/observations/${encodeURIComponent(observationId)}`;
}

// Taking a new snapshot of the view model and redrawing the view cost time linear in the spans
// loaded (listing the rows), so the view takes one only once the loaded count has doubled since
// the last one (and at the end): all of a load's redraws together cost at most about twice the
// last one, and a 100k-span trace is shown in ~8 steps.
export function shouldPublish(loaded: number, published: number, done: boolean): boolean {
  return done || loaded >= 2 * published;
}

export interface LoadProgress {
  trace: Trace;
  model: TraceModel<ObservationSummary>; // of everything loaded so far
  done: boolean;
}

// Fetches every page from the first and adds each to `model` as it arrives; calls `publish` with
// a snapshot after the first page, then whenever shouldPublish says so, and once with done =
// true. `loaded` is called after every page (for a "loading n / total" line; cheap). Stops
// quietly when `signal` aborts; a failing fetch rejects.
export async function loadAllPages(
  fetchPage: (cursor: string | null) => Promise<ObservationPage>,
  model: TraceModelBuilder<ObservationSummary>,
  publish: (progress: LoadProgress) => void,
  loaded: (count: number) => void,
  signal: AbortSignal,
): Promise<void> {
  let trace: Trace | null = null;
  let count = 0;
  let published = 0;
  let cursor: string | null = null;
  do {
    const page: ObservationPage = await fetchPage(cursor);
    if (signal.aborted) return;
    trace ??= page.trace ?? null;
    if (trace === null) throw new Error('the first page of observations has no trace');
    model.add(page.data);
    count += page.data.length;
    cursor = page.next_cursor;
    const done = cursor === null;
    loaded(count);
    if (published === 0 || shouldPublish(count, published, done)) {
      published = count;
      publish({ trace, model: model.snapshot(), done });
    }
  } while (cursor !== null);
}

// Full observations fetched on demand, once per id; a failed fetch is forgotten so it can be
// retried. Not shared between traces.
export class FullObservations {
  private readonly cache = new Map<string, Promise<Observation>>();

  constructor(private readonly fetchOne: (id: string) => Promise<Observation>) {}

  get(id: string): Promise<Observation> {
    let pending = this.cache.get(id);
    if (pending === undefined) {
      pending = this.fetchOne(id);
      this.cache.set(id, pending);
      pending.catch(() => this.cache.delete(id));
    }
    return pending;
  }
}
