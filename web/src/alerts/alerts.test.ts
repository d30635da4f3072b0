import { describe, expect, it } from 'vitest';
import {
  formatCondition, formatDelivery, formatMetric, formatValue, measureOf, measuresByRule, stateClass,
  type AlertEvent, type AlertRule,
} from './alerts';

const kStatus = { state: 'ok' as const, since: null, evaluated: null, value: null, count: 0 };

function rule(overrides: Partial<AlertRule>): AlertRule {
  return {
    name: 'r', metric: { measure: 'error_rate', level: 'observation' }, window_minutes: 15, condition: 'above',
    threshold: 0.2, webhook: 'https://hooks.example.com/t', status: kStatus, ...overrides,
  };
}

function event(overrides: Partial<AlertEvent>): AlertEvent {
  return {
    id: 1, alert: 'r', time: '2026-11-22T02:28:49.000000Z', state: 'firing', value: 0.3, threshold: 0.2,
    delivery: 'delivered', attempts: 1, http_status: 200, error: null, ...overrides,
  };
}

describe('formatValue', () => {
  it.each([
    ['error_rate', 0.25, '25%'],
    ['score:true_rate', 0.9, '90%'],
    ['p95_latency', 2310.4, '2.31 s'],
    ['cost', 12.5, '$12.50'],
    ['cost_per_run', 0.0123, '$0.0123'],
    ['count', 1234, '1,234'],
    ['score:avg', 0.83333, '0.833'],
    ['tool_calls_per_run', 2.5, '2.5'],
    ['error_rate', null, '–'],
  ])('%s %s → %s', (measure, value, text) => expect(formatValue(measure, value)).toBe(text));
});

describe('formatMetric', () => {
  it('names the measure, the level and the filters of a rollup metric', () => {
    expect(formatMetric({ measure: 'error_rate', level: 'observation', filters: { tool: 'search', environment: 'prod' } }))
      .toBe('error_rate of spans, tool=search, environment=prod');
    expect(formatMetric({ measure: 'cost_per_run', level: 'trace' })).toBe('cost_per_run of runs');
  });
  it('names the scores of a score metric', () => {
    expect(formatMetric({ score: { name_prefix: 'trackly.finding.', measure: 'count' } }))
      .toBe('count of scores trackly.finding.*');
    expect(formatMetric({ score: { name: 'trackly.rule.few tools', source: 'trackly', measure: 'true_rate' } }))
      .toBe('true_rate of scores trackly.rule.few tools from trackly');
  });
});

describe('formatCondition', () => {
  it('gives the threshold in the measure\'s unit, the window and the minimum', () => {
    expect(formatCondition(rule({ min_count: 10 }))).toBe('above 20% over 15 min, at least 10');
    expect(formatCondition(rule({ metric: { measure: 'cost', level: 'observation' }, threshold: 5, window_minutes: 60 })))
      .toBe('above $5.00 over 1 h');
    expect(formatCondition(rule({ metric: { score: { name: 'q', measure: 'true_rate' } }, condition: 'below', threshold: 0.9 })))
      .toBe('below 90% over 15 min');
  });
});

describe('formatDelivery', () => {
  it.each([
    [event({}), 'delivered'],
    [event({ attempts: 3 }), 'delivered after 3 attempts'],
    [event({ delivery: 'failed', attempts: 5, http_status: 503, error: 'HTTP 503' }), 'failed after 5 attempts: HTTP 503'],
    [event({ delivery: 'failed', attempts: 1, http_status: 302, error: null }), 'failed: HTTP 302'],
    [event({ delivery: 'pending', attempts: 0, http_status: null }), 'pending'],
  ])('%j → %s', (e, text) => expect(formatDelivery(e)).toBe(text));
});

describe('states and measures', () => {
  it('marks firing as bad, ok and resolved as good', () => {
    expect(stateClass('firing')).toBe('status status-bad');
    expect(stateClass('ok')).toBe('status status-ok');
    expect(stateClass('resolved')).toBe('status status-ok');
    expect(stateClass('disabled')).toBe('status');
  });
  it('knows each rule\'s measure by name', () => {
    const rules = [rule({ name: 'a' }), rule({ name: 'b', metric: { score: { name: 'q', measure: 'avg' } } })];
    expect(measureOf(rules[1].metric)).toBe('score:avg');
    expect([...measuresByRule(rules)]).toEqual([['a', 'error_rate'], ['b', 'score:avg']]);
  });
});
