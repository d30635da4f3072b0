// The dashboard's "What if" panel, free of React: the models the range used (GET /api/v1/metrics
// by model, generations only), the prices one may compare them with (GET /api/v1/models), the
// what-if query (GET /api/v1/metrics/what-if, docs/api.md "Metrics") over the dashboard's time
// range, and its answer as text. Every string in these answers is hostile: the panel renders
// them as text only.
import { formatCost, formatPercent, formatTokens } from '../shared/format';
import type { TraceFilters } from '../traces/filters';
import type { MetricsAnswer, TimeWindow } from './metrics';

// The span the what-if API is asked about: both ends RFC 3339.
export interface WhatIfRange { from: string; to: string }

const kMinuteMs = 60_000;

// The dashboard's range as the what-if API needs it, or null when the URL's times are not times
// (the tiles then show the API's message). The API floors times to the minute, so an open range
// ("the last 24 h", or a `from` without `to`) ends at the next whole minute: the minute in
// progress counts, as it does in the tiles, which send no `to` at all.
export function whatIfRange(filters: TraceFilters, period: TimeWindow): WhatIfRange | null {
  if (!Number.isFinite(period.fromMs) || !Number.isFinite(period.toMs)) return null;
  const toMs = filters.to ? period.toMs : Math.ceil(period.toMs / kMinuteMs) * kMinuteMs;
  return { from: new Date(period.fromMs).toISOString(), to: new Date(toMs).toISOString() };
}

// The models whose generations the range holds, with their calls and cost.
export function usedModelsPath(range: WhatIfRange): string {
  const params = new URLSearchParams({
    measures: 'count,cost', group_by: 'model', level: 'observation', type: 'generation', ...range,
  });
  return `/api/v1/metrics?${params.toString()}`;
}

export interface UsedModel { model: string; calls: number; cost: number }

// The answer to usedModelsPath, most expensive first (then most calls, then by name); calls
// without a model are not a model.
export function usedModels(answer: MetricsAnswer): UsedModel[] {
  const models: UsedModel[] = [];
  for (const row of answer.data) {
    const model = typeof row.model === 'string' ? row.model : '';
    if (!model) continue;
    models.push({ model, calls: typeof row.count === 'number' ? row.count : 0, cost: typeof row.cost === 'number' ? row.cost : 0 });
  }
  return models.sort((a, b) => b.cost - a.cost || b.calls - a.calls || a.model.localeCompare(b.model));
}

export interface ModelOption { value: string; label: string }

// The options of model A: the used models, and `chosen` (from the URL) even when the range has
// no call of it, so the select shows what is asked.
export function usedModelOptions(used: UsedModel[], chosen: string | undefined): ModelOption[] {
  const options = used.map((u) => ({
    value: u.model,
    label: `${u.model} (${formatTokens(u.calls)} ${u.calls === 1 ? 'call' : 'calls'}, ${formatCost(u.cost)})`,
  }));
  if (chosen && !used.some((u) => u.model === chosen)) options.unshift({ value: chosen, label: `${chosen} (no calls in this range)` });
  return options;
}

// The fields of a GET /api/v1/models entry the panel reads.
export interface PriceListEntry { scope: string; provider: string; model: string }

export interface PriceChoices {
  project: ModelOption[];
  builtin: ModelOption[];
  unlisted: ModelOption[];   // `chosen` (from the URL) when no price lists it: the server says why
}

// The models of the price list one may ask about, each once, by name: the project's own prices,
// then the built-in ones the project does not override (the server looks in that order). A
// model has several entries when its price changed; the server uses the newest.
export function priceChoices(entries: PriceListEntry[], chosen: string | undefined): PriceChoices {
  const seen = new Set<string>();
  const pick = (scope: string) => {
    const options: ModelOption[] = [];
    for (const e of entries) {
      if (e.scope !== scope || seen.has(e.model)) continue;
      seen.add(e.model);
      options.push({ value: e.model, label: `${e.model} (${e.provider})` });
    }
    return options.sort((a, b) => a.label.localeCompare(b.label));
  };
  const project = pick('project');
  const builtin = pick('builtin');
  const unlisted = chosen && !seen.has(chosen) ? [{ value: chosen, label: `${chosen} (not in the price list)` }] : [];
  return { project, builtin, unlisted };
}

export function whatIfPath(model: string, as: string, range: WhatIfRange): string {
  return `/api/v1/metrics/what-if?${new URLSearchParams({ model, as, ...range }).toString()}`;
}

export interface CostFigures { actual_cost: number; what_if_cost: number; difference: number }

// GET /api/v1/metrics/what-if (the fields the panel shows).
export interface WhatIfAnswer extends CostFigures {
  model: string;
  as: string;
  calls: number;
  unpriced_calls: number;
  price_id: string;
  monthly_projection: CostFigures;
}

// A signed amount: "+$0.12", "−$2.82", "$0".
export function formatSignedCost(usd: number | null | undefined): string {
  if (usd == null || !Number.isFinite(usd) || usd === 0) return formatCost(usd);
  return `${usd > 0 ? '+' : '−'}${formatCost(Math.abs(usd))}`;
}

// A difference as a signed share of `base`: "+20%", "−94%"; "–" when there is no base to compare with.
export function formatChange(difference: number, base: number): string {
  if (!Number.isFinite(difference) || !Number.isFinite(base) || base <= 0) return '–';
  if (difference === 0) return '0%';
  return `${difference > 0 ? '+' : '−'}${formatPercent(Math.abs(difference) / base)}`;
}

export interface WhatIfRow { label: string; range: string; month: string }
export interface WhatIfView {
  rows: WhatIfRow[];                        // actual, at B's prices, difference: in the range and per 30 days
  facts: { label: string; value: string }[];
  unpricedNote: string | null;              // why the actual cost may be low
}

// The answer as the panel shows it.
export function whatIfView(answer: WhatIfAnswer): WhatIfView {
  const month = answer.monthly_projection;
  const change = formatChange(answer.difference, answer.actual_cost);
  const withChange = (amount: string) => (change === '–' ? amount : `${amount} (${change})`);
  return {
    rows: [
      { label: 'Actual cost', range: formatCost(answer.actual_cost), month: formatCost(month.actual_cost) },
      { label: `At ${answer.as} prices`, range: formatCost(answer.what_if_cost), month: formatCost(month.what_if_cost) },
      { label: 'Difference', range: withChange(formatSignedCost(answer.difference)), month: withChange(formatSignedCost(month.difference)) },
    ],
    facts: [
      { label: 'Calls', value: formatTokens(answer.calls) },
      { label: 'Price used', value: answer.price_id || '–' },
      { label: 'Unpriced calls', value: formatTokens(answer.unpriced_calls) },
    ],
    unpricedNote: answer.unpriced_calls > 0
      ? `${formatTokens(answer.unpriced_calls)} of the calls had no price: the actual cost leaves them out, the cost at ${answer.as} prices does not.`
      : null,
  };
}
