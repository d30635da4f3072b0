// The Live page's logic (docs/ui.md "Live"): its filters, kept in the page URL like the trace
// list's; the rows shown, newest on top and bounded; and the long-poll loop over GET /api/v1/tail
// (docs/api.md), which follows from the last answer's `next`, retries with growing pauses after
// errors that may pass and stops on one that will not. Framework-free, so it is unit-tested.
import type { Usage } from '../shared/model';

// One span as GET /api/v1/tail shows it. Every string came from a traced application: render as text.
export interface TailEntry {
  seq: number;
  trace_id: string | null;
  id: string;
  parent_id: string | null;
  trace_name: string | null;
  type: string | null;
  name: string | null;
  model: string | null;
  status: string;
  level: string;
  start_time: string | null;
  end_time: string | null;
  latency_ms: number | null;
  usage: Usage;
  cost: { total: number; currency: string };
  environment: string | null;
  release: string | null;
  user_id: string | null;
  session_id: string | null;
  input_preview: string | null;
  output_preview: string | null;
  update: boolean;
}

export interface TailAnswer {
  data: TailEntry[];
  next: number;
  dropped: number;
  raw_io_withheld?: boolean;
}

// The API's filter parameters, in the order the form shows them.
export const kLiveFilterKeys = [
  'type', 'name', 'trace_name', 'model', 'status', 'environment', 'release', 'user_id', 'session_id',
  'min_latency_ms', 'min_cost',
] as const;
export type LiveFilterKey = (typeof kLiveFilterKeys)[number];
export type LiveFilters = Partial<Record<LiveFilterKey, string>>;

// Rows kept on the page; older ones go.
export const kMaxRows = 500;
// How long one request waits for spans (the API allows up to 30 s).
export const kWaitMs = 25_000;

// Known, non-empty filters of a URL query or a submitted form.
export function parseLiveFilters(params: URLSearchParams | FormData): LiveFilters {
  const filters: LiveFilters = {};
  for (const key of kLiveFilterKeys) {
    const value = params.get(key);
    if (typeof value === 'string' && value.trim()) filters[key] = value.trim();
  }
  return filters;
}

// "name=chat&type=generation" (in kLiveFilterKeys order), for the page URL.
export function liveFiltersToQuery(filters: LiveFilters): string {
  const params = new URLSearchParams();
  for (const key of kLiveFilterKeys) {
    if (filters[key]) params.set(key, filters[key]!);
  }
  return params.toString();
}

// The request after `after` (null: from now, answered at once with where "now" is).
export function tailPath(filters: LiveFilters, after: number | null): string {
  const params = new URLSearchParams({ wait_ms: String(after === null ? 0 : kWaitMs), limit: '1000' });
  if (after !== null) params.set('after', String(after));
  const query = liveFiltersToQuery(filters);
  return `/api/v1/tail?${params.toString()}${query ? `&${query}` : ''}`;
}

export interface LiveRow {
  key: string;
  entry: TailEntry;
}

// `entries` (an answer's, oldest first) added on top of `rows` (newest first), at most `max` kept.
export function addEntries(rows: readonly LiveRow[], entries: readonly TailEntry[], max = kMaxRows): LiveRow[] {
  const added = entries.map((entry) => ({ key: `${entry.seq}:${entry.id}:${entry.start_time ?? ''}`, entry })).reverse();
  return [...added, ...rows].slice(0, max);
}

// The pause after the n-th error in a row (n >= 1): 1 s, 2 s, 4 s … up to 30 s.
export function retryDelayMs(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1));
}

// Whether an error of the API client may pass without anyone doing anything: no HTTP status
// (the network), 408, 429 or a 5xx. A 4xx (a bad filter, signed out, no access) will not.
export function errorMayPass(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status !== 'number' || status === 408 || status === 429 || status >= 500;
}

export interface FollowOptions {
  filters: LiveFilters;
  after: number | null;  // where to continue from (null: from now)
  fetch: (path: string, signal: AbortSignal) => Promise<TailAnswer>;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  signal: AbortSignal;
  onAnswer: (answer: TailAnswer) => void;  // each answer; its `next` is where the loop goes on
  onError: (error: unknown, retryMs: number | null) => void;  // retryMs null: the loop stops
}

// Long-polls until `signal` aborts or an error that will not pass; returns the last `next`.
export async function followTail(o: FollowOptions): Promise<number | null> {
  let after = o.after;
  let failures = 0;
  while (!o.signal.aborted) {
    try {
      const answer = await o.fetch(tailPath(o.filters, after), o.signal);
      failures = 0;
      after = answer.next;
      o.onAnswer(answer);
    } catch (error) {
      if (o.signal.aborted) break;
      if (!errorMayPass(error)) {
        o.onError(error, null);
        break;
      }
      const pause = retryDelayMs(++failures);
      o.onError(error, pause);
      await o.sleep(pause, o.signal);
    }
  }
  return after;
}

// A pause that ends early when `signal` aborts.
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
