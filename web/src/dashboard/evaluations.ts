// The dashboard's "Evaluations" panel, free of React: what the server's evaluation of finished
// traces (docs/insight.md "Evaluation at completion", "Process rules") says over the dashboard's
// time range, from GET /api/v1/metrics/scores (docs/api.md "Metrics"): each process rule's pass
// rate, the traces flagged per finding kind, and how runs stopped. Score names and values are
// hostile text: the panel renders them as text only.
import { formatPercent, formatTokens } from '../shared/format';
import type { TraceInsight } from '../shared/model';
import { findingLabel, stopLabel } from '../trace-view/insight';
import { filtersToQuery, type TraceFilters } from '../traces/filters';
import type { Grain, MetricsRow } from './metrics';
import type { WhatIfRange } from './whatif';

// The score names the server's evaluation writes (server/trace_finisher.h).
export const kRulePrefix = 'trackly.rule.';
export const kFindingPrefix = 'trackly.finding.';
export const kStopReason = 'trackly.stop_reason';

type StopReason = TraceInsight['profile']['stop_reason'];
// The reasons the server writes; any other value (a score posted under the same name) is shown as is.
const kStopReasons: string[] = ['final_answer', 'error', 'max_iterations', 'token_limit', 'cancelled', 'unknown'] satisfies StopReason[];

// A pass rate as a percentage that reads 100% only when no run broke the rule: 0.9996 → "99.9%".
export function formatPassRate(rate: number | null): string {
  if (rate !== null && rate < 1 && rate >= 0.995) return `${Math.floor(rate * 1000) / 10}%`;
  return formatPercent(rate);
}

// GET /api/v1/metrics/scores.
export interface ScoreMetricsAnswer { granularity: Grain | null; data: MetricsRow[] }

function scoreMetricsPath(params: Record<string, string>, range: WhatIfRange): string {
  return `/api/v1/metrics/scores?${new URLSearchParams({ ...params, ...range }).toString()}`;
}

// The three queries of the panel over `range` (score times; the API floors both ends to the
// minute, as whatIfRange expects).
export function evaluationPaths(range: WhatIfRange): { rules: string; findings: string; stops: string } {
  return {
    rules: scoreMetricsPath({ name_prefix: kRulePrefix, group_by: 'name', measures: 'count,true_rate,false_count' }, range),
    findings: scoreMetricsPath({ name_prefix: kFindingPrefix, group_by: 'name', measures: 'traces' }, range),
    stops: scoreMetricsPath({ name: kStopReason, group_by: 'value', measures: 'traces' }, range),
  };
}

function num(value: string | number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function text(value: string | number | null | undefined): string {
  return typeof value === 'string' ? value : '';
}

// The trace list filtered to the traces whose score `score` matches, under the dashboard's own
// filters (its time range is the traces' start, the panel's the scores' time: close, not equal).
export function tracesLink(filters: TraceFilters, score: string, match: TraceFilters = {}): string {
  return `/traces?${filtersToQuery({ ...filters, score, ...match })}`;
}

export interface RuleRow {
  rule: string;            // the rule's name (the score name without its prefix)
  runs: string;            // runs it was checked on
  passRate: string;
  failed: number;          // runs that broke it
  failedLink: string;      // the trace list of those runs
}

// The rules, worst pass rate first (then most runs, then by name).
export function ruleRows(answer: ScoreMetricsAnswer, filters: TraceFilters): RuleRow[] {
  const rows = answer.data
    .filter((row) => text(row.name).startsWith(kRulePrefix))
    .map((row) => ({
      name: text(row.name), runs: num(row.count) ?? 0, rate: num(row.true_rate), failed: num(row.false_count) ?? 0,
    }));
  rows.sort((a, b) => (a.rate ?? 2) - (b.rate ?? 2) || b.runs - a.runs || a.name.localeCompare(b.name));
  return rows.map((r) => ({
    rule: r.name.slice(kRulePrefix.length),
    runs: formatTokens(r.runs),
    passRate: formatPassRate(r.rate),
    failed: r.failed,
    failedLink: tracesLink(filters, r.name, { score_max: '0' }),
  }));
}

export interface CountRow {
  label: string;   // in words
  key: string;     // the finding kind or the stop reason as stored
  traces: string;
  link: string;    // the trace list of those traces
}

// The finding kinds, most flagged traces first (then by kind).
export function findingRows(answer: ScoreMetricsAnswer, filters: TraceFilters): CountRow[] {
  return countRows(answer, 'name', (name) => name.startsWith(kFindingPrefix) ? name.slice(kFindingPrefix.length) : null,
    findingLabel, (kind) => tracesLink(filters, kFindingPrefix + kind));
}

// How runs stopped, most traces first (then by reason).
export function stopRows(answer: ScoreMetricsAnswer, filters: TraceFilters): CountRow[] {
  return countRows(answer, 'value', (value) => value || null,
    (reason) => (kStopReasons.includes(reason) ? stopLabel(reason as StopReason) : reason),
    (reason) => tracesLink(filters, kStopReason, { score_value: reason }));
}

function countRows(answer: ScoreMetricsAnswer, field: string, keyOf: (value: string) => string | null,
  labelOf: (key: string) => string, linkOf: (key: string) => string): CountRow[] {
  const rows: { key: string; traces: number }[] = [];
  for (const row of answer.data) {
    const key = keyOf(text(row[field]));
    if (key !== null) rows.push({ key, traces: num(row.traces) ?? 0 });
  }
  rows.sort((a, b) => b.traces - a.traces || a.key.localeCompare(b.key));
  return rows.map((r) => ({ label: labelOf(r.key), key: r.key, traces: formatTokens(r.traces), link: linkOf(r.key) }));
}
