// The trace list's filters, kept in the page URL's query string so a filtered list is a link
// that can be shared. The names are the API's own (docs/api.md), so the URL query and the API
// query are the same text minus paging. Pure.

export const kTraceFilterKeys = [
  'q', 'name', 'user_id', 'session_id', 'tag', 'model', 'status', 'environment', 'release',
  'min_latency_ms', 'min_cost', 'from', 'to',
] as const;

export type TraceFilterKey = (typeof kTraceFilterKeys)[number];
export type TraceFilters = Partial<Record<TraceFilterKey, string>>;

// Known, non-empty filters of a URL query ("?status=error&x=1" → {status: 'error'}).
export function parseFilters(search: string): TraceFilters {
  const params = new URLSearchParams(search);
  const filters: TraceFilters = {};
  for (const key of kTraceFilterKeys) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

// The query string (without "?") of `filters` in a stable order; with a cursor for the API.
export function filtersToQuery(filters: TraceFilters, cursor?: string | null): string {
  const params = new URLSearchParams();
  for (const key of kTraceFilterKeys) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}
