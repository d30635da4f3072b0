import { describe, expect, it } from 'vitest';
import { dashboardUrl, parseDashboard, timeWindow, type MetricsAnswer } from './metrics';
import {
  formatChange, formatSignedCost, priceChoices, usedModelOptions, usedModels, usedModelsPath, whatIfPath, whatIfRange,
  whatIfView, type WhatIfAnswer,
} from './whatif';

const now = Date.UTC(2026, 10, 22, 12, 30, 15);
const params = (path: string) => Object.fromEntries(new URLSearchParams(path.slice(path.indexOf('?') + 1)));

describe('whatIfRange', () => {
  it('ends an open range at the next whole minute, so the minute in progress counts', () => {
    const { filters } = parseDashboard('?range=24h');
    expect(whatIfRange(filters, timeWindow(filters, now)))
      .toEqual({ from: '2026-11-21T12:30:15.000Z', to: '2026-11-22T12:31:00.000Z' });
    const open = parseDashboard('?from=2026-11-20T00:00:00Z').filters;
    expect(whatIfRange(open, timeWindow(open, now))?.to).toBe('2026-11-22T12:31:00.000Z');
  });
  it('keeps a custom range as it is', () => {
    const { filters } = parseDashboard('?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:30Z');
    expect(whatIfRange(filters, timeWindow(filters, now)))
      .toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:30.000Z' });
  });
  it('is null when the URL times are not times', () => {
    const { filters } = parseDashboard('?from=yesterday&to=today');
    expect(whatIfRange(filters, timeWindow(filters, now))).toBeNull();
  });
});

describe('queries', () => {
  const range = { from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' };
  it('asks for the calls and cost of each model that made generations in the range', () => {
    const path = usedModelsPath(range);
    expect(path.startsWith('/api/v1/metrics?')).toBe(true);
    expect(params(path)).toEqual({
      measures: 'count,cost', group_by: 'model', level: 'observation', type: 'generation', ...range,
    });
  });
  it('encodes model names that are not URL-safe', () => {
    const path = whatIfPath('a&b=c', 'x/y z#', range);
    expect(path.startsWith('/api/v1/metrics/what-if?')).toBe(true);
    expect(params(path)).toEqual({ model: 'a&b=c', as: 'x/y z#', ...range });
  });
});

describe('model A', () => {
  const answer: MetricsAnswer = {
    level: 'observation', granularity: null, data: [
      { model: 'cheap', count: 40, cost: 0.5 },
      { model: '', count: 3, cost: 0 },
      { model: 'dear', count: 2, cost: 3 },
      { model: 'free-b', count: 9, cost: null },
      { model: 'free-a', count: 9, cost: 0 },
    ],
  };
  it('lists used models by cost, then calls, then name, and leaves out calls without a model', () => {
    expect(usedModels(answer).map((m) => m.model)).toEqual(['dear', 'cheap', 'free-a', 'free-b']);
    expect(usedModels(answer)[3]).toEqual({ model: 'free-b', calls: 9, cost: 0 });
  });
  it('labels each with its calls and cost, and keeps a chosen model the range has no call of', () => {
    const used = usedModels(answer);
    expect(usedModelOptions(used, 'dear')[0]).toEqual({ value: 'dear', label: 'dear (2 calls, $3.00)' });
    expect(usedModelOptions(used.slice(1, 2), 'gone')).toEqual([
      { value: 'gone', label: 'gone (no calls in this range)' },
      { value: 'cheap', label: 'cheap (40 calls, $0.5000)' },
    ]);
  });
});

describe('priceChoices', () => {
  const entries = [
    { scope: 'project', provider: 'acme', model: 'acme-ft' },
    { scope: 'project', provider: 'openai', model: 'gpt-4o' },
    { scope: 'builtin', provider: 'openai', model: 'gpt-4o' },
    { scope: 'builtin', provider: 'openai', model: 'gpt-4o-mini' },
    { scope: 'builtin', provider: 'openai', model: 'gpt-4o-mini' },
    { scope: 'builtin', provider: 'anthropic', model: 'claude-3-5-haiku' },
  ];
  it('lists each model once, project prices first, built-ins the project overrides left out', () => {
    expect(priceChoices(entries, undefined)).toEqual({
      project: [{ value: 'acme-ft', label: 'acme-ft (acme)' }, { value: 'gpt-4o', label: 'gpt-4o (openai)' }],
      builtin: [
        { value: 'claude-3-5-haiku', label: 'claude-3-5-haiku (anthropic)' },
        { value: 'gpt-4o-mini', label: 'gpt-4o-mini (openai)' },
      ],
      unlisted: [],
    });
  });
  it('keeps a chosen model that no price lists, so the server can say why', () => {
    expect(priceChoices(entries, 'gpt-4o-mini').unlisted).toEqual([]);
    expect(priceChoices(entries, 'nope').unlisted).toEqual([{ value: 'nope', label: 'nope (not in the price list)' }]);
  });
});

describe('formatting', () => {
  it('signs amounts and changes', () => {
    expect(formatSignedCost(1.5)).toBe('+$1.50');
    expect(formatSignedCost(-2.5)).toBe('−$2.50');
    expect(formatSignedCost(-0.00012)).toBe('−$0.00012');
    expect(formatSignedCost(0)).toBe('$0');
    expect(formatSignedCost(NaN)).toBe('–');
    expect(formatChange(-2.82, 3)).toBe('−94%');
    expect(formatChange(0.3, 1.5)).toBe('+20%');
    expect(formatChange(0, 1)).toBe('0%');
    expect(formatChange(1, 0)).toBe('–');
  });
});

describe('whatIfView', () => {
  const answer: WhatIfAnswer = {
    model: 'gpt-4o', as: 'gpt-4o-mini', calls: 3, unpriced_calls: 0, price_id: 'openai/gpt-4o-mini@2024-07-18',
    actual_cost: 3, what_if_cost: 0.18, difference: -2.82,
    monthly_projection: { actual_cost: 90, what_if_cost: 5.4, difference: -84.6 },
  };
  it('shows actual, what-if and difference in the range and per 30 days, and the facts', () => {
    expect(whatIfView(answer)).toEqual({
      rows: [
        { label: 'Actual cost', range: '$3.00', month: '$90.00' },
        { label: 'At gpt-4o-mini prices', range: '$0.1800', month: '$5.40' },
        { label: 'Difference', range: '−$2.82 (−94%)', month: '−$84.60 (−94%)' },
      ],
      facts: [
        { label: 'Calls', value: '3' },
        { label: 'Price used', value: 'openai/gpt-4o-mini@2024-07-18' },
        { label: 'Unpriced calls', value: '0' },
      ],
      unpricedNote: null,
    });
  });
  it('gives no percentage without an actual cost, and says why that cost leaves calls out', () => {
    const view = whatIfView({ ...answer, calls: 2, unpriced_calls: 2, actual_cost: 0, difference: 0.18,
      monthly_projection: { actual_cost: 0, what_if_cost: 5.4, difference: 5.4 } });
    expect(view.rows[2]).toEqual({ label: 'Difference', range: '+$0.1800', month: '+$5.40' });
    expect(view.unpricedNote).toBe('2 of the calls had no price: the actual cost leaves them out, the cost at gpt-4o-mini prices does not.');
  });
});

describe('dashboard URL', () => {
  it('keeps the what-if models and round-trips them', () => {
    const state = parseDashboard('?range=7d&what_if_model=gpt-4o&what_if_as=a%26b');
    expect(state).toMatchObject({ whatIfModel: 'gpt-4o', whatIfAs: 'a&b' });
    expect(parseDashboard(dashboardUrl(state).slice('/dashboard'.length))).toEqual(state);
    expect(parseDashboard('?what_if_model=&what_if_as=%20')).toEqual(parseDashboard(''));
  });
});
