import { describe, expect, it } from 'vitest';
import { formatCost, formatDurationMs, formatPercent, formatTokens, parseTimeUs, percentile } from './format';

describe('parseTimeUs', () => {
  it('keeps microseconds', () => {
    expect(parseTimeUs('1970-01-01T00:00:01.000123Z')).toBe(1_000_123);
    expect(parseTimeUs('1970-01-01T00:00:01.5Z')).toBe(1_500_000);
  });
  it('accepts a time without fraction and with an offset', () => {
    expect(parseTimeUs('1970-01-01T01:00:00+01:00')).toBe(0);
  });
  it('is NaN for garbage', () => {
    expect(parseTimeUs('yesterday')).toBeNaN();
    expect(parseTimeUs(null)).toBeNaN();
  });
});

describe('formatters', () => {
  it.each([
    [0.4, '400 µs'], [12, '12 ms'], [1234, '1.23 s'], [12_345, '12.3 s'], [125_000, '2m 5s'], [null, '–'],
  ])('formatDurationMs(%s) = %s', (ms, text) => expect(formatDurationMs(ms)).toBe(text));
  it.each([[0, '0'], [1234, '1,234'], [2_500_000, '2.50M']])('formatTokens(%s) = %s', (n, text) =>
    expect(formatTokens(n)).toBe(text));
  it.each([[0, '$0'], [0.00045, '$0.00045'], [0.0123, '$0.0123'], [12.5, '$12.50']])(
    'formatCost(%s) = %s', (usd, text) => expect(formatCost(usd)).toBe(text));
  it.each([[0, '0%'], [0.2, '20%'], [1, '100%'], [0.0123, '1.2%'], [0.0004, '0.04%'], [null, '–']])(
    'formatPercent(%s) = %s', (share, text) => expect(formatPercent(share)).toBe(text));
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([5], 95)).toBe(5);
    expect(percentile([], 95)).toBeNaN();
  });
});
