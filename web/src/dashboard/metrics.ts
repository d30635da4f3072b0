// The dashboard's logic, free of React: what the page keeps in its URL, which metrics query each
// panel sends (GET /api/v1/metrics, docs/api.md "Metrics"), and how an answer becomes chart
// series (every time bucket present, the top groups plus "other") and the summary tiles.
//
// Levels: a panel broken down by model or prompt version reads the observation rollup (a trace
// has no single model), so it counts and times model calls and leaves out observations without
// the attribute; every other panel reads the trace rollup and counts traces.
import { formatCost, formatDurationMs, formatTokens, parseTimeUs } from '../shared/format';
import { apiQuery, filtersToQuery, parseFilters, resolveRange, type TraceFilters } from '../traces/filters';

export type Grain = 'minute' | 'hour' | 'day';
export const kGrainMs: Record<Grain, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
// A chart draws at most this many buckets: the finest grain that fits is used.
export const kMaxBuckets = 200;
// Groups drawn per chart before the rest are summed into "other".
export const kTopGroups = 5;
export const kOtherLabel = 'other';
export const kDefaultRange = '24h';

// The finest grain that splits a range of `spanMs` into at most kMaxBuckets buckets.
export function pickGrain(spanMs: number): Grain {
  if (spanMs <= kMaxBuckets * kGrainMs.minute) return 'minute';
  if (spanMs <= kMaxBuckets * kGrainMs.hour) return 'hour';
  return 'day';
}

export type Level = 'trace' | 'observation';

export interface Breakdown {
  id: string;          // the URL value; '' is no breakdown
  label: string;
  level: Level;
  groupBy: string[];   // API dimensions
}

export const kBreakdowns: Breakdown[] = [
  { id: '', label: 'Nothing', level: 'trace', groupBy: [] },
  { id: 'model', label: 'Model', level: 'observation', groupBy: ['model'] },
  { id: 'name', label: 'Trace name', level: 'trace', groupBy: ['name'] },
  { id: 'user', label: 'User', level: 'trace', groupBy: ['user_id'] },
  { id: 'prompt', label: 'Prompt version', level: 'observation', groupBy: ['prompt_name', 'prompt_version'] },
  { id: 'environment', label: 'Environment', level: 'trace', groupBy: ['environment'] },
];

export function findBreakdown(id: string | undefined): Breakdown {
  return kBreakdowns.find((b) => b.id === id) ?? kBreakdowns[0];
}

// Filters the dashboard applies to every query: dimensions that both the trace and the
// observation rollups have.
export const kDashboardFilterKeys = ['environment', 'release'] as const;

// Why `breakdown` cannot be drawn under `filters`, or null when it can. User ids have a rollup
// of their own that knows no other dimension (docs/api.md).
export function breakdownProblem(breakdown: Breakdown, filters: TraceFilters): string | null {
  if (breakdown.id !== 'user') return null;
  const used = kDashboardFilterKeys.filter((key) => filters[key]);
  if (used.length === 0) return null;
  return `Break down by user cannot be combined with the ${used.join(' and ')} filter: ` +
    'the metrics API keeps users in a rollup of their own.';
}

export type Unit = 'cost' | 'tokens' | 'duration' | 'count';

// A value row of the API: `time`, the group_by dimensions and one field per measure.
export type MetricsRow = Record<string, string | number | null>;
export interface MetricsAnswer { level: Level; granularity: Grain | null; data: MetricsRow[] }

// One drawn quantity: the API measures it needs and how a row gives it.
export interface Quantity {
  label: string;
  measures: string[];
  additive: boolean;   // sums over groups and buckets (cost, counts) or not (percentiles)
  value: (row: MetricsRow) => number | null;
}

function num(value: string | number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function measure(name: string, label: string, additive = true): Quantity {
  return { label, measures: [name], additive, value: (row) => num(row[name]) };
}

// The API has an error rate, not an error count: count × rate, rounded back to whole errors.
const kErrors: Quantity = {
  label: 'errors', measures: ['count', 'error_rate'], additive: true,
  value: (row) => {
    const count = num(row.count);
    const rate = num(row.error_rate);
    return count === null || rate === null ? null : Math.round(count * rate);
  },
};

export const kPercentiles = ['p50', 'p95', 'p99'] as const;
export type Percentile = (typeof kPercentiles)[number];
const latency = (p: Percentile) => measure(`${p}_latency`, p, false);

export interface PanelSpec {
  id: string;
  title: string;
  unit: Unit;
  lines: Quantity[];                     // drawn without a breakdown
  perGroup: (p: Percentile) => Quantity; // drawn once per group with one
}

export const kPanels: PanelSpec[] = [
  { id: 'cost', title: 'Cost', unit: 'cost', lines: [measure('cost', 'cost')], perGroup: () => measure('cost', 'cost') },
  {
    id: 'tokens', title: 'Tokens', unit: 'tokens',
    lines: [measure('input_tokens', 'input'), measure('output_tokens', 'output')],
    perGroup: () => measure('total_tokens', 'tokens'),
  },
  { id: 'latency', title: 'Latency', unit: 'duration', lines: kPercentiles.map(latency), perGroup: latency },
  { id: 'traces', title: 'Traces', unit: 'count', lines: [measure('count', 'traces')], perGroup: () => measure('count', 'traces') },
  { id: 'errors', title: 'Errors', unit: 'count', lines: [kErrors], perGroup: () => kErrors },
];

// What the dashboard keeps in its URL.
export interface DashboardState {
  filters: TraceFilters;          // range (or from/to), environment, release
  by: Record<string, string>;     // panel id → breakdown id; absent = none
  percentile: Percentile;         // drawn per group on a broken-down latency panel
  whatIfModel?: string;           // the "What if" panel's model A (dashboard/whatif.ts); absent = the costliest
  whatIfAs?: string;              // and its model B; absent = none picked yet
}

const byKey = (panelId: string) => `${panelId}_by`;
const kWhatIfKeys: ['whatIfModel' | 'whatIfAs', string][] = [['whatIfModel', 'what_if_model'], ['whatIfAs', 'what_if_as']];

// The state a URL query describes: valid values only; no time range means kDefaultRange, and a
// `to` without a `from` is dropped with it.
export function parseDashboard(search: string): DashboardState {
  const all = parseFilters(search);
  const filters: TraceFilters = {};
  for (const key of kDashboardFilterKeys) if (all[key]) filters[key] = all[key];
  if (all.range) filters.range = all.range;
  else if (all.from) Object.assign(filters, { from: all.from, ...(all.to ? { to: all.to } : {}) });
  else filters.range = kDefaultRange;
  const params = new URLSearchParams(search);
  const by: Record<string, string> = {};
  for (const panel of kPanels) {
    const id = params.get(byKey(panel.id));
    if (id && findBreakdown(id).id === id) by[panel.id] = id;
  }
  const p = params.get('percentile');
  const percentile = kPercentiles.find((known) => known === p) ?? 'p95';
  const state: DashboardState = { filters, by, percentile };
  for (const [field, key] of kWhatIfKeys) {
    const value = params.get(key)?.trim();
    if (value) state[field] = value;
  }
  return state;
}

// The page URL of `state` (parseDashboard reads it back).
export function dashboardUrl(state: DashboardState): string {
  const params = new URLSearchParams(filtersToQuery(state.filters));
  for (const panel of kPanels) {
    const id = state.by[panel.id];
    if (id) params.set(byKey(panel.id), id);
  }
  if (state.percentile !== 'p95') params.set('percentile', state.percentile);
  for (const [field, key] of kWhatIfKeys) {
    const value = state[field];
    if (value) params.set(key, value);
  }
  const query = params.toString();
  return query ? `/dashboard?${query}` : '/dashboard';
}

// The time a dashboard shows, resolved at `nowMs`.
export interface TimeWindow {
  fromMs: number;
  toMs: number;        // NaN only when the URL's times are not times (the API then says why)
  grain: Grain;
  query: string;       // from, to and the filters as API parameters
}

export function timeWindow(filters: TraceFilters, nowMs: number): TimeWindow {
  const resolved = resolveRange(filters, nowMs);
  const fromMs = Date.parse(resolved.from ?? '');
  const toMs = resolved.to ? Date.parse(resolved.to) : nowMs;
  return { fromMs, toMs, grain: pickGrain(toMs - fromMs), query: apiQuery(filters, nowMs) };
}

const metricsPath = (params: URLSearchParams, period: TimeWindow) =>
  `/api/v1/metrics?${params.toString()}${period.query ? `&${period.query}` : ''}`;

// The measures behind the tiles, in the order summarize reads them.
const kTileMeasures = ['count', 'error_rate', 'p95_latency', 'cost', 'total_tokens'];

// The query for the summary tiles: traces in the whole period.
export function tilesPath(period: TimeWindow): string {
  return metricsPath(new URLSearchParams({ measures: kTileMeasures.join(','), level: 'trace' }), period);
}

export interface Totals { traces: number; cost: number; tokens: number; errorRate: number | null; p95LatencyMs: number | null }

// The tiles of a tilesPath answer (no rows: nothing in the range).
export function summarize(answer: MetricsAnswer): Totals {
  const row = answer.data[0] ?? {};
  return {
    traces: num(row.count) ?? 0,
    cost: num(row.cost) ?? 0,
    tokens: num(row.total_tokens) ?? 0,
    errorRate: num(row.error_rate),
    p95LatencyMs: num(row.p95_latency),
  };
}

// What a panel draws under a breakdown.
export function panelQuantities(panel: PanelSpec, breakdown: Breakdown, percentile: Percentile): Quantity[] {
  return breakdown.groupBy.length === 0 ? panel.lines : [panel.perGroup(percentile)];
}

// The query of one panel: its measures per time bucket, per group of the breakdown. A grouped
// quantity that does not add up is ranked by count, so count is asked for too.
export function panelPath(panel: PanelSpec, breakdown: Breakdown, percentile: Percentile, period: TimeWindow): string {
  const quantities = panelQuantities(panel, breakdown, percentile);
  const measures = new Set(quantities.flatMap((q) => q.measures));
  if (breakdown.groupBy.length > 0 && !quantities[0].additive) measures.add('count');
  const params = new URLSearchParams({
    measures: [...measures].join(','),
    group_by: [...breakdown.groupBy, period.grain].join(','),
    level: breakdown.level,
  });
  return metricsPath(params, period);
}

// Bucket starts (ms) from the one holding `fromMs` up to `toMs` (exclusive). Day buckets are UTC
// days, as the API's are.
export function bucketStarts(fromMs: number, toMs: number, grain: Grain): number[] {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) return [];
  const step = kGrainMs[grain];
  const starts: number[] = [];
  for (let t = Math.floor(fromMs / step) * step; t < toMs; t += step) starts.push(t);
  return starts;
}

export interface ChartSeries { label: string; values: (number | null)[]; other?: boolean }
export interface ChartData {
  times: number[];         // bucket starts, ms
  series: ChartSeries[];
  leftOut: number;         // groups not drawn (percentiles of different groups cannot be summed)
}

// A group's label: its values joined, "(none)" for a trace without the dimension.
export function groupLabel(breakdown: Breakdown, row: MetricsRow): string {
  if (breakdown.id === 'prompt') {
    const name = String(row.prompt_name ?? '');
    const version = String(row.prompt_version ?? '');
    return version ? `${name} v${version}` : name;
  }
  return breakdown.groupBy.map((d) => String(row[d] ?? '')).join(' ') || '(none)';
}

// The answer to panelPath as chart series over every bucket of `period` (and of any row past
// it). Without a breakdown: one series per quantity. With one: a series per group for the
// kTopGroups largest (by the quantity when it adds up, else by count), the rest summed into
// "other" (or counted in leftOut when the quantity does not add up). Groups whose quantity is
// zero throughout are not drawn. At the observation level, observations without the dimension
// (e.g. a span with no model) are not a group.
export function chartData(answer: MetricsAnswer, panel: PanelSpec, breakdown: Breakdown,
  percentile: Percentile, period: TimeWindow): ChartData {
  const step = kGrainMs[period.grain];
  const rows = answer.data
    .map((row) => ({ row, bucket: Math.floor(parseTimeUs(String(row.time ?? '')) / 1000 / step) * step }))
    .filter(({ bucket }) => Number.isFinite(bucket));
  const times = bucketStarts(period.fromMs, period.toMs, period.grain);
  const lastRow = rows.reduce((last, { bucket }) => Math.max(last, bucket), -Infinity);
  if (times.length === 0 && rows.length > 0) times.push(rows[0].bucket);
  while (times.length > 0 && times[times.length - 1] < lastRow) times.push(times[times.length - 1] + step);
  const index = new Map(times.map((t, i) => [t, i]));

  const quantities = panelQuantities(panel, breakdown, percentile);
  const empty = (q: Quantity) => times.map(() => (q.additive ? 0 : null) as number | null);
  const put = (values: (number | null)[], bucket: number, value: number | null) => {
    const i = index.get(bucket);
    if (i === undefined || value === null) return;
    values[i] = (values[i] ?? 0) + value;
  };

  if (breakdown.groupBy.length === 0) {
    return {
      times, leftOut: 0,
      series: quantities.map((q) => {
        const values = empty(q);
        for (const { row, bucket } of rows) put(values, bucket, q.value(row));
        return { label: q.label, values };
      }),
    };
  }

  const q = quantities[0];
  const groups = new Map<string, { values: (number | null)[]; weight: number }>();
  for (const { row, bucket } of rows) {
    const blank = breakdown.groupBy.every((d) => !row[d]);
    if (blank && breakdown.level === 'observation') continue;
    const label = groupLabel(breakdown, row);
    let group = groups.get(label);
    if (!group) groups.set(label, group = { values: empty(q), weight: 0 });
    const value = q.value(row);
    put(group.values, bucket, value);
    group.weight += (q.additive ? value : num(row.count)) ?? 0;
  }
  const ranked = [...groups.entries()]
    .filter(([, g]) => g.weight > 0)
    .sort(([a, ga], [b, gb]) => gb.weight - ga.weight || a.localeCompare(b));
  // "other" of a single group would hide a name for nothing: draw that group instead.
  const shown = ranked.length === kTopGroups + 1 ? ranked : ranked.slice(0, kTopGroups);
  const rest = ranked.slice(shown.length);
  const series: ChartSeries[] = shown.map(([label, g]) => ({ label, values: g.values }));
  if (rest.length > 0 && q.additive) {
    const values = empty(q).map((_, i) => rest.reduce((sum, [, g]) => sum + (g.values[i] ?? 0), 0));
    series.push({ label: kOtherLabel, values, other: true });
  }
  return { times, series, leftOut: q.additive ? 0 : rest.length };
}

// True when a chart would show nothing but zeros and gaps.
export function isBlank(data: ChartData): boolean {
  return !data.series.some((s) => s.values.some((v) => v !== null && v !== 0));
}

// A value of `unit` as text (tooltips, axes and tiles).
export function formatValue(unit: Unit, value: number | null): string {
  switch (unit) {
    case 'cost': return formatCost(value);
    case 'duration': return formatDurationMs(value);
    case 'tokens':
    case 'count': return formatTokens(value);
  }
}

// An axis tick: as formatValue, but a cost without padding zeros ("$0.8", not "$0.8000") and
// zero as "0" in every unit.
export function formatTick(unit: Unit, value: number): string {
  if (value === 0) return '0';
  return unit === 'cost' ? `$${Number(value.toPrecision(6))}` : formatValue(unit, value);
}
