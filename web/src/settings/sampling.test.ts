import { describe, expect, it } from 'vitest';
import { fractionText, keptAlways, keptShare, reasonsText, type SamplingPolicy } from './sampling';

const kPolicy: SamplingPolicy = {
  enabled: true, keep_fraction: 0.1, keep_errors: true, keep_findings: false, keep_rule_failures: true,
  keep_scores_below: [{ name: 'user_feedback', value: 0.5 }], keep_cost_above_usd: 0.5, keep_latency_above_ms: null,
};

describe('tail sampling in words', () => {
  it('lists what is always kept in the order the server checks, leaving out what is off', () => {
    expect(keptAlways(kPolicy)).toEqual([
      'traces with an error', 'traces that broke a process rule', 'traces whose score "user_feedback" is below 0.5',
      'traces costing more than $0.5',
    ]);
    expect(keptAlways({ ...kPolicy, keep_errors: false, keep_rule_failures: false, keep_scores_below: [],
      keep_cost_above_usd: null })).toEqual([]);
  });

  it('writes the fraction as a percentage without float noise', () => {
    expect(fractionText(0.1)).toBe('10%');
    expect(fractionText(0)).toBe('0%');
    expect(fractionText(1)).toBe('100%');
    expect(fractionText(0.0123)).toBe('1.23%');
    expect(fractionText(0.07)).toBe('7%');
  });

  it('gives the kept share of what was decided, or null when nothing was', () => {
    expect(keptShare({ kept: 1, dropped: 3, kept_by_reason: {} })).toBe(0.25);
    expect(keptShare({ kept: 0, dropped: 0, kept_by_reason: {} })).toBeNull();
  });

  it('orders reasons by count, then name', () => {
    expect(reasonsText({ fraction: 2, error: 5, rule_failure: 2 })).toBe('error 5, fraction 2, rule failure 2');
    expect(reasonsText({})).toBe('');
  });
});
