import { describe, expect, it } from 'vitest';
import {
  breakdownProblem, bucketStarts, chartData, dashboardUrl, findBreakdown, formatTick, formatValue, isBlank, kPanels, parseDashboard,
  panelPath, pickGrain, summarize, tilesPath, timeWindow, type MetricsAnswer, type MetricsRow, type TimeWindow,
} from './metrics';

const now = Date.UTC(2026, 10, 22, 12, 30, 0);
const hour = 3_600_000;
const panel = (id: string) => kPanels.find((p) => p.id === id)!;
const at = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z'); // the API's microsecond form
const answer = (data: MetricsRow[], level: 'trace' | 'observation' = 'trace'): MetricsAnswer =>
  ({ level, granularity: 'hour', data });
// Three hourly buckets: 10:00, 11:00, 12:00.
const period: TimeWindow = { fromMs: Date.UTC(2026, 10, 22, 10, 0), toMs: Date.UTC(2026, 10, 22, 12, 30), grain: 'hour', query: '' };
const t = (i: number) => period.fromMs + i * hour;

describe('pickGrain', () => {
  it('picks the finest grain that keeps a chart within 200 buckets', () => {
    expect(pickGrain(hour)).toBe('minute');
    expect(pickGrain(3 * hour)).toBe('minute');
    expect(pickGrain(24 * hour)).toBe('hour');
    expect(pickGrain(7 * 24 * hour)).toBe('hour');
    expect(pickGrain(30 * 24 * hour)).toBe('day');
  });
});

describe('dashboard URL', () => {
  it('defaults to the last 24 hours, no breakdown and p95', () => {
    expect(parseDashboard('')).toEqual({ filters: { range: '24h' }, by: {}, percentile: 'p95' });
    expect(dashboardUrl(parseDashboard(''))).toBe('/dashboard?range=24h');
  });
  it('round-trips range, filters, breakdowns and the percentile, dropping unknown values', () => {
    const state = parseDashboard('?range=7d&environment=prod&cost_by=model&latency_by=bogus&errors_by=user&percentile=p99&model=x');
    expect(state).toEqual({ filters: { range: '7d', environment: 'prod' }, by: { cost: 'model', errors: 'user' }, percentile: 'p99' });
    expect(parseDashboard(dashboardUrl(state).slice('/dashboard'.length))).toEqual(state);
  });
  it('keeps a custom from/to, and needs a from for one', () => {
    expect(parseDashboard('?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z').filters)
      .toEqual({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' });
    expect(parseDashboard('?to=2026-11-02T00:00:00Z').filters).toEqual({ range: '24h' });
  });
});

describe('queries', () => {
  it('resolves the range at a time and picks its grain', () => {
    const w = timeWindow({ range: '24h', environment: 'prod' }, now);
    expect(w).toEqual({ fromMs: now - 24 * hour, toMs: now, grain: 'hour', query: 'environment=prod&from=2026-11-21T12%3A30%3A00.000Z' });
    expect(timeWindow({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }, now).grain).toBe('hour');
  });
  it('asks trace totals for the tiles', () => {
    expect(tilesPath(period)).toBe('/api/v1/metrics?measures=count%2Cerror_rate%2Cp95_latency%2Ccost%2Ctotal_tokens&level=trace');
  });
  it('groups by the breakdown and the grain, at the breakdown level', () => {
    const w = { ...period, query: 'from=x' };
    expect(panelPath(panel('cost'), findBreakdown('model'), 'p95', w))
      .toBe('/api/v1/metrics?measures=cost&group_by=model%2Chour&level=observation&from=x');
    expect(panelPath(panel('tokens'), findBreakdown(''), 'p95', w))
      .toBe('/api/v1/metrics?measures=input_tokens%2Coutput_tokens&group_by=hour&level=trace&from=x');
    // A percentile per group is ranked by count, so count is asked for too.
    expect(panelPath(panel('latency'), findBreakdown('user'), 'p99', w))
      .toBe('/api/v1/metrics?measures=p99_latency%2Ccount&group_by=user_id%2Chour&level=trace&from=x');
    expect(panelPath(panel('errors'), findBreakdown('prompt'), 'p95', w))
      .toBe('/api/v1/metrics?measures=count%2Cerror_rate&group_by=prompt_name%2Cprompt_version%2Chour&level=observation&from=x');
  });
  it('says why users cannot be combined with a filter', () => {
    expect(breakdownProblem(findBreakdown('user'), { environment: 'prod' })).toMatch(/user .* environment filter/);
    expect(breakdownProblem(findBreakdown('user'), { range: '1h' })).toBeNull();
    expect(breakdownProblem(findBreakdown('model'), { environment: 'prod' })).toBeNull();
  });
});

describe('bucketStarts', () => {
  it('starts at the bucket holding from and stops before to', () => {
    expect(bucketStarts(period.fromMs + 1000, period.toMs, 'hour')).toEqual([t(0), t(1), t(2)]);
    expect(bucketStarts(Date.UTC(2026, 10, 20, 18), Date.UTC(2026, 10, 22, 1), 'day'))
      .toEqual([Date.UTC(2026, 10, 20), Date.UTC(2026, 10, 21), Date.UTC(2026, 10, 22)]);
    expect(bucketStarts(NaN, now, 'hour')).toEqual([]);
  });
});

describe('chartData', () => {
  it('fills missing buckets with zero for sums and with gaps for percentiles', () => {
    const data = answer([{ time: at(t(1)), input_tokens: 10, output_tokens: 5, p50_latency: 100, p95_latency: 200, p99_latency: 300 }]);
    expect(chartData(data, panel('tokens'), findBreakdown(''), 'p95', period)).toEqual({
      times: [t(0), t(1), t(2)], leftOut: 0,
      series: [{ label: 'input', values: [0, 10, 0] }, { label: 'output', values: [0, 5, 0] }],
    });
    expect(chartData(data, panel('latency'), findBreakdown(''), 'p95', period).series).toEqual([
      { label: 'p50', values: [null, 100, null] }, { label: 'p95', values: [null, 200, null] }, { label: 'p99', values: [null, 300, null] },
    ]);
  });
  it('derives error counts from count and error rate', () => {
    const data = answer([{ time: at(t(0)), count: 3, error_rate: 1 / 3 }, { time: at(t(2)), count: 4, error_rate: 0 }]);
    expect(chartData(data, panel('errors'), findBreakdown(''), 'p95', period).series).toEqual([{ label: 'errors', values: [1, 0, 0] }]);
  });
  it('keeps the top groups by total and sums the rest into other', () => {
    const rows: MetricsRow[] = [];
    // Groups g1..g8 with totals 8..1: g1..g5 drawn, g6..g8 (3+2+1) are "other".
    for (let g = 1; g <= 8; g++) rows.push({ time: at(t(g % 3)), name: `g${g}`, cost: 9 - g });
    const data = chartData(answer(rows), panel('cost'), findBreakdown('name'), 'p95', period);
    expect(data.series.map((s) => s.label)).toEqual(['g1', 'g2', 'g3', 'g4', 'g5', 'other']);
    expect(data.series[0].values).toEqual([0, 8, 0]);
    expect(data.series[5]).toEqual({ label: 'other', values: [3, 2, 1], other: true });
  });
  it('draws a sixth group itself rather than as other, and leaves out groups with nothing', () => {
    const rows: MetricsRow[] = Array.from({ length: 6 }, (_, g) => ({ time: at(t(0)), name: `g${g}`, cost: g + 1 }));
    rows.push({ time: at(t(0)), name: 'free', cost: 0 });
    const labels = chartData(answer(rows), panel('cost'), findBreakdown('name'), 'p95', period).series.map((s) => s.label);
    expect(labels).toEqual(['g5', 'g4', 'g3', 'g2', 'g1', 'g0']);
  });
  it('ranks percentile groups by count and leaves the rest out instead of summing them', () => {
    const rows: MetricsRow[] = Array.from({ length: 7 }, (_, g) => ({ time: at(t(1)), user_id: `u${g}`, count: g + 1, p95_latency: 1000 - g }));
    const data = chartData(answer(rows), panel('latency'), findBreakdown('user'), 'p95', period);
    expect(data.series.map((s) => s.label)).toEqual(['u6', 'u5', 'u4', 'u3', 'u2']);
    expect(data.series[0].values).toEqual([null, 994, null]);
    expect(data.leftOut).toBe(2);
  });
  it('drops observations without the dimension, but keeps traces without it as (none)', () => {
    const models = answer([
      { time: at(t(0)), model: '', count: 9 }, { time: at(t(0)), model: 'gpt-4o', count: 2 },
    ], 'observation');
    expect(chartData(models, panel('traces'), findBreakdown('model'), 'p95', period).series.map((s) => s.label)).toEqual(['gpt-4o']);
    const users = answer([{ time: at(t(0)), user_id: '', count: 9 }, { time: at(t(0)), user_id: 'ann', count: 2 }]);
    expect(chartData(users, panel('traces'), findBreakdown('user'), 'p95', period).series.map((s) => s.label)).toEqual(['(none)', 'ann']);
  });
  it('labels prompt versions with their prompt', () => {
    const data = answer([{ time: at(t(0)), prompt_name: 'greet', prompt_version: '3', cost: 1 }], 'observation');
    expect(chartData(data, panel('cost'), findBreakdown('prompt'), 'p95', period).series[0].label).toBe('greet v3');
  });
  it('extends the buckets to rows past the period (a clock ahead of the browser)', () => {
    const data = answer([{ time: at(t(4)), cost: 1 }]);
    expect(chartData(data, panel('cost'), findBreakdown(''), 'p95', period).times).toEqual([t(0), t(1), t(2), t(3), t(4)]);
  });
  it('knows a chart of nothing', () => {
    expect(isBlank(chartData(answer([]), panel('cost'), findBreakdown(''), 'p95', period))).toBe(true);
    expect(isBlank(chartData(answer([{ time: at(t(0)), cost: 0.5 }]), panel('cost'), findBreakdown(''), 'p95', period))).toBe(false);
  });
});

describe('summarize', () => {
  it('reads the totals row, and zeros when the range is empty', () => {
    expect(summarize(answer([{ count: 5, error_rate: 0.2, p95_latency: 1234, cost: 1.45, total_tokens: 900 }])))
      .toEqual({ traces: 5, cost: 1.45, tokens: 900, errorRate: 0.2, p95LatencyMs: 1234 });
    expect(summarize(answer([]))).toEqual({ traces: 0, cost: 0, tokens: 0, errorRate: null, p95LatencyMs: null });
  });
});

describe('formatValue', () => {
  it('formats by unit', () => {
    expect(formatValue('cost', 1.5)).toBe('$1.50');
    expect(formatValue('duration', 1234)).toBe('1.23 s');
    expect(formatValue('count', 1234)).toBe('1,234');
    expect(formatValue('tokens', null)).toBe('–');
  });
  it('writes cost ticks without padding zeros', () => {
    expect(formatTick('cost', 0.8)).toBe('$0.8');
    expect(formatTick('cost', 0.1 + 0.2)).toBe('$0.3');
    expect(formatTick('duration', 0)).toBe('0');
    expect(formatTick('count', 2000)).toBe('2,000');
  });
});
