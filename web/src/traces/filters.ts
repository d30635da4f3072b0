// The trace list's filters, sort and time range, kept in the page URL's query string so a
// filtered list is a link that can be shared. The names are the API's own (docs/api.md), so the
// URL query and the API query are the same text minus paging, except `range` ("last hour"),
// which stays relative in the URL and becomes `from` only when the API is asked. The dashboard
// keeps its time range and filters the same way, with these functions. Pure.

export const kTraceFilterKeys = [
  'q', 'name', 'user_id', 'session_id', 'tag', 'model', 'status', 'environment', 'release',
  'min_latency_ms', 'min_cost', 'score', 'score_min', 'score_max', 'score_value', 'from', 'to', 'sort', 'order',
] as const;

// What the list can be ordered by (the API's `sort`); start time is the default.
export const kSorts = ['start_time', 'latency', 'cost', 'tokens'] as const;

// Relative time ranges: URL value → [label, duration in ms].
export const kTimeRanges: Record<string, [string, number]> = {
  '15m': ['Last 15 min', 15 * 60_000],
  '1h': ['Last hour', 3_600_000],
  '24h': ['Last 24 h', 86_400_000],
  '7d': ['Last 7 days', 7 * 86_400_000],
  '30d': ['Last 30 days', 30 * 86_400_000],
};

export type TraceFilterKey = (typeof kTraceFilterKeys)[number] | 'range';
export type TraceFilters = Partial<Record<TraceFilterKey, string>>;

// Known, valid, non-empty filters of a URL query ("?status=error&x=1" → {status: 'error'}). A
// relative range wins over from/to; the defaults (sort by start time, descending) are left out.
export function parseFilters(search: string): TraceFilters {
  const params = new URLSearchParams(search);
  const filters: TraceFilters = {};
  for (const key of kTraceFilterKeys) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  if (filters.order !== 'asc') delete filters.order;
  if (!(kSorts as readonly string[]).includes(filters.sort ?? '') || filters.sort === 'start_time') delete filters.sort;
  const range = params.get('range')?.trim();
  if (range && range in kTimeRanges) {
    filters.range = range;
    delete filters.from;
    delete filters.to;
  }
  return filters;
}

// The URL query string (without "?") of `filters` in a stable order.
export function filtersToQuery(filters: TraceFilters): string {
  return toParams(normalize(filters), true).toString();
}

// The API query string of `filters` at time `nowMs`, with a cursor for a later page (the same
// resolved `from` must go with it: resolve once per list, not per page).
export function apiQuery(filters: TraceFilters, nowMs: number, cursor?: string | null): string {
  const params = toParams(resolveRange(filters, nowMs), false);
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

// The valid filters with a relative range replaced by the absolute `from` it means at `nowMs`
// (and no `to`: "the last hour" includes whatever arrives while it is shown).
export function resolveRange(filters: TraceFilters, nowMs: number): TraceFilters {
  const resolved = normalize(filters);
  if (resolved.range) {
    resolved.from = new Date(nowMs - kTimeRanges[resolved.range][1]).toISOString();
    delete resolved.range;
  }
  return resolved;
}

// The filters a form holds (inputs named after the filter keys); a range of "custom" means the
// form's `from` and `to` datetime-local inputs, read as local time.
export function readFilterForm(data: FormData): TraceFilters {
  const filters: TraceFilters = {};
  for (const [key, value] of data.entries()) filters[key as TraceFilterKey] = String(value);
  // The sort menu's one value names both: "latency.desc".
  const view = String(data.get('sort_view') ?? '');
  if (view) {
    const [sort, order] = view.split('.');
    filters.sort = sort;
    filters.order = order;
    delete (filters as Record<string, string>).sort_view;
  }
  if (filters.range === 'custom') {
    delete filters.range;
    filters.from = fromLocalInput(filters.from ?? '');
    filters.to = fromLocalInput(filters.to ?? '');
  }
  return filters;
}

// The filters as parseFilters would read them back (valid values only, range over from/to).
function normalize(filters: TraceFilters): TraceFilters {
  return parseFilters(toParams(filters, true).toString());
}

function toParams(filters: TraceFilters, withRange: boolean): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of kTraceFilterKeys) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  if (withRange && filters.range) params.set('range', filters.range);
  return params;
}

// A `datetime-local` input's value ("2026-11-22T09:30", local time) as RFC 3339 UTC; '' stays ''.
export function fromLocalInput(local: string): string {
  if (!local) return '';
  const ms = new Date(local).getTime();
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}

// An RFC 3339 time as a `datetime-local` value in local time; '' when it is not one.
export function toLocalInput(rfc3339: string | undefined): string {
  if (!rfc3339) return '';
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
