// The alerts page's logic, free of React: the shapes of GET /api/v1/alerts and
// /api/v1/alerts/events (docs/api.md "Alerts") and how a rule's metric, threshold, value, state
// and an event's delivery read as text.
import { formatCost, formatDurationMs, formatPercent, formatTokens } from '../shared/format';

export type AlertState = 'ok' | 'firing' | 'disabled';

export interface RollupMetric { measure: string; level: 'observation' | 'trace'; filters?: Record<string, string> }
export interface ScoreMetric {
  score: { name?: string; name_prefix?: string; source?: string; measure: string };
}
export type AlertMetric = RollupMetric | ScoreMetric;

export interface AlertStatus {
  state: AlertState;
  since: string | null;
  evaluated: string | null;
  value: number | null;
  count: number;
  note?: string;
}

export interface AlertRule {
  name: string;
  metric: AlertMetric;
  window_minutes: number;
  condition: 'above' | 'below';
  threshold: number;
  min_count?: number;
  webhook: string;
  enabled?: boolean;
  status: AlertStatus;
}

export interface AlertsAnswer { rules: AlertRule[]; interval_s: number; webhook_secret?: string | null }

export interface AlertEvent {
  id: number;
  alert: string;
  time: string;
  state: 'firing' | 'resolved';
  value: number;
  threshold: number;
  delivery: 'pending' | 'delivered' | 'failed';
  attempts: number;
  http_status: number | null;
  error: string | null;
}

function isScore(metric: AlertMetric): metric is ScoreMetric {
  return 'score' in metric;
}

// The measure a rule's value is in, e.g. "error_rate" or "score:true_rate".
export function measureOf(metric: AlertMetric): string {
  return isScore(metric) ? `score:${metric.score.measure}` : metric.measure;
}

const kRates = new Set(['error_rate', 'success_rate', 'score:true_rate']);
const kDurations = new Set(['avg_latency', 'p50_latency', 'p90_latency', 'p95_latency', 'p99_latency']);
const kCosts = new Set(['cost', 'cache_savings', 'cost_per_run', 'cost_per_successful_run']);

// A value of `measure` as text: rates as percentages, latencies as durations, costs in USD,
// counts with separators, anything else (averages of scores, calls per run) with 3 significant
// digits.
export function formatValue(measure: string, value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '–';
  if (kRates.has(measure)) return formatPercent(value);
  if (kDurations.has(measure)) return formatDurationMs(value);
  if (kCosts.has(measure)) return formatCost(value);
  if (Number.isInteger(value)) return formatTokens(value);
  return String(Number(value.toPrecision(3)));
}

// "error_rate of spans, tool=search" / "count of scores trackly.finding.*".
export function formatMetric(metric: AlertMetric): string {
  if (isScore(metric)) {
    const { name, name_prefix, source, measure } = metric.score;
    const names = name ?? `${name_prefix ?? ''}*`;
    return `${measure} of scores ${names}${source ? ` from ${source}` : ''}`;
  }
  const filters = Object.entries(metric.filters ?? {}).map(([k, v]) => `${k}=${v}`);
  return `${metric.measure} of ${metric.level === 'trace' ? 'runs' : 'spans'}${filters.length ? `, ${filters.join(', ')}` : ''}`;
}

// "above 20% over 15 min, at least 10".
export function formatCondition(rule: AlertRule): string {
  const threshold = formatValue(measureOf(rule.metric), rule.threshold);
  const window = rule.window_minutes % 60 === 0 ? `${rule.window_minutes / 60} h` : `${rule.window_minutes} min`;
  const minimum = rule.min_count ? `, at least ${rule.min_count}` : '';
  return `${rule.condition} ${threshold} over ${window}${minimum}`;
}

// The CSS class of a state badge.
export function stateClass(state: AlertState | 'resolved'): string {
  if (state === 'firing') return 'status status-bad';
  if (state === 'ok' || state === 'resolved') return 'status status-ok';
  return 'status';
}

// "delivered", "delivered after 3 attempts", "failed after 5 attempts: HTTP 503", "pending".
export function formatDelivery(event: AlertEvent): string {
  if (event.delivery === 'pending') return event.attempts > 0 ? `pending (${event.attempts} attempts so far)` : 'pending';
  const tries = event.attempts > 1 ? ` after ${event.attempts} attempts` : '';
  if (event.delivery === 'delivered') return `delivered${tries}`;
  const why = event.error ?? (event.http_status ? `HTTP ${event.http_status}` : '');
  return `failed${tries}${why ? `: ${why}` : ''}`;
}

// The measure of each rule by name, to show an event's value in its rule's unit (a removed rule's
// events fall back to plain numbers).
export function measuresByRule(rules: AlertRule[]): Map<string, string> {
  return new Map(rules.map((r) => [r.name, measureOf(r.metric)]));
}
