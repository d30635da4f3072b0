import { describe, expect, it } from 'vitest';
import {
  evaluationPaths, findingRows, formatPassRate, ruleRows, stopRows, tracesLink, type ScoreMetricsAnswer,
} from './evaluations';

const range = { from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' };
const params = (path: string) => Object.fromEntries(new URLSearchParams(path.slice(path.indexOf('?') + 1)));
const answer = (data: ScoreMetricsAnswer['data']): ScoreMetricsAnswer => ({ granularity: null, data });

describe('evaluationPaths', () => {
  it('asks the score metrics for rule pass rates, flagged traces per finding and stop reasons in the range', () => {
    const paths = evaluationPaths(range);
    for (const path of Object.values(paths)) expect(path.startsWith('/api/v1/metrics/scores?')).toBe(true);
    expect(params(paths.rules)).toEqual({
      name_prefix: 'trackly.rule.', group_by: 'name', measures: 'count,true_rate,false_count', ...range,
    });
    expect(params(paths.findings)).toEqual({ name_prefix: 'trackly.finding.', group_by: 'name', measures: 'traces', ...range });
    expect(params(paths.stops)).toEqual({ name: 'trackly.stop_reason', group_by: 'value', measures: 'traces', ...range });
  });
});

describe('ruleRows', () => {
  const rules = answer([
    { name: 'trackly.rule.cheap', count: 120, true_rate: 1, false_count: 0 },
    { name: 'trackly.rule.few tools', count: 200, true_rate: 0.9, false_count: 20 },
    { name: 'trackly.rule.grounded', count: 1500, true_rate: 0.9, false_count: 150 },
    { name: 'trackly.rule.never', count: 3, true_rate: null, false_count: 0 },
    { name: 'helpful', count: 9, true_rate: 1, false_count: 0 },
  ]);
  it('lists the worst pass rate first, then the most runs, and leaves out other scores', () => {
    expect(ruleRows(rules, {}).map((r) => r.rule)).toEqual(['grounded', 'few tools', 'cheap', 'never']);
  });
  it('shows runs checked, pass rate and broken runs, linked to the trace list of the runs that broke it', () => {
    const [grounded] = ruleRows(rules, { range: '24h', environment: 'prod' });
    expect(grounded).toMatchObject({ rule: 'grounded', runs: '1,500', passRate: '90%', failed: 150 });
    expect(params(grounded.failedLink)).toEqual({
      range: '24h', environment: 'prod', score: 'trackly.rule.grounded', score_max: '0',
    });
    expect(grounded.failedLink.startsWith('/traces?')).toBe(true);
    expect(ruleRows(rules, {})[3].passRate).toBe('–');
  });
});

describe('formatPassRate', () => {
  it('reads 100% only when no run broke the rule', () => {
    expect(formatPassRate(1)).toBe('100%');
    expect(formatPassRate(0.9996)).toBe('99.9%');
    expect(formatPassRate(0.995)).toBe('99.5%');
    expect(formatPassRate(0.5)).toBe('50%');
    expect(formatPassRate(0)).toBe('0%');
    expect(formatPassRate(null)).toBe('–');
  });
});

describe('findingRows', () => {
  it('lists the finding kinds in words, most flagged traces first, each linked to those traces', () => {
    const rows = findingRows(answer([
      { name: 'trackly.finding.repeated_tool_call', traces: 3 },
      { name: 'trackly.finding.tool_error_storm', traces: 12 },
      { name: 'trackly.finding.<b>odd</b>', traces: 3 },
      { name: 'trackly.rule.x', traces: 99 },
    ]), { range: '7d' });
    expect(rows.map((r) => [r.label, r.traces])).toEqual([
      ['Tool error storm', '12'], ['<b>odd</b>', '3'], ['Repeated tool call', '3'],
    ]);
    expect(params(rows[0].link)).toEqual({ range: '7d', score: 'trackly.finding.tool_error_storm' });
  });
});

describe('stopRows', () => {
  it('lists stop reasons in words, most traces first, each linked to the traces that stopped so', () => {
    const rows = stopRows(answer([
      { value: 'final_answer', traces: 80 },
      { value: 'max_iterations', traces: 5 },
      { value: 'toString', traces: 1 },
      { value: '', traces: 1 },
    ]), {});
    expect(rows.map((r) => [r.label, r.traces])).toEqual([
      ['Final answer', '80'], ['Hit its iteration limit', '5'], ['toString', '1'],
    ]);
    expect(params(rows[1].link)).toEqual({ score: 'trackly.stop_reason', score_value: 'max_iterations' });
  });
});

describe('tracesLink', () => {
  it('encodes score names that are not URL-safe', () => {
    expect(params(tracesLink({}, 'trackly.rule.a&b=c #1', { score_max: '0' })))
      .toEqual({ score: 'trackly.rule.a&b=c #1', score_max: '0' });
  });
});
