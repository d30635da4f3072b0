import { describe, expect, it } from 'vitest';
import { apiQuery, filtersToQuery, fromLocalInput, parseFilters, readFilterForm, resolveRange, toLocalInput } from './filters';

const now = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('trace filters', () => {
  it('keeps known non-empty filters and drops the rest', () => {
    expect(parseFilters('?status=error&name=&bogus=1&tag=%20prod%20')).toEqual({ status: 'error', tag: 'prod' });
  });
  it('round-trips through the URL in a stable order', () => {
    const query = filtersToQuery({ tag: 'a b', status: 'error', q: 'x&y' });
    expect(query).toBe('q=x%26y&tag=a+b&status=error');
    expect(parseFilters(query)).toEqual({ q: 'x&y', tag: 'a b', status: 'error' });
  });
  it('keeps a sort other than start time, with its order', () => {
    expect(filtersToQuery({ sort: 'latency', order: 'desc' })).toBe('sort=latency');
    expect(filtersToQuery({ sort: 'cost', order: 'asc' })).toBe('sort=cost&order=asc');
    expect(filtersToQuery({ sort: 'start_time' })).toBe('');
    expect(parseFilters('?sort=size')).toEqual({});
    const form = new FormData();
    form.set('sort_view', 'tokens.desc');
    expect(filtersToQuery(readFilterForm(form))).toBe('sort=tokens');
  });

  it('keeps oldest-first order and drops the default', () => {
    expect(filtersToQuery({ order: 'asc' })).toBe('order=asc');
    expect(filtersToQuery({ order: 'desc' })).toBe('');
    expect(parseFilters('?order=latency')).toEqual({});
  });
  it('keeps a relative range in the URL over from/to and drops unknown ranges', () => {
    expect(filtersToQuery({ range: '1h', from: '2026-01-01T00:00:00Z', name: 'x' })).toBe('name=x&range=1h');
    expect(parseFilters('?range=1y&from=2026-01-01T00:00:00Z')).toEqual({ from: '2026-01-01T00:00:00Z' });
  });
});

describe('apiQuery', () => {
  it('resolves a relative range to from at the given time', () => {
    expect(apiQuery({ range: '15m', status: 'error' }, now)).toBe('status=error&from=2026-11-22T11%3A45%3A00.000Z');
    expect(apiQuery({ range: '7d' }, now)).toBe('from=2026-11-15T12%3A00%3A00.000Z');
  });
  it('passes custom from/to and order through and adds the cursor', () => {
    expect(apiQuery({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z', order: 'asc' }, now, 'abc='))
      .toBe('from=2026-11-01T00%3A00%3A00Z&to=2026-11-02T00%3A00%3A00Z&order=asc&cursor=abc%3D');
  });
});

describe('resolveRange', () => {
  it('turns a relative range into from and keeps custom times as they are', () => {
    expect(resolveRange({ range: '30d', environment: 'prod' }, now)).toEqual({ environment: 'prod', from: '2026-10-23T12:00:00.000Z' });
    expect(resolveRange({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }, now))
      .toEqual({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' });
  });
});

describe('readFilterForm', () => {
  it('reads a preset range as it is and a custom one as from/to in UTC', () => {
    const form = new FormData();
    form.set('range', '7d');
    form.set('environment', 'prod');
    expect(readFilterForm(form)).toEqual({ range: '7d', environment: 'prod' });
    form.set('range', 'custom');
    form.set('from', '2026-11-22T09:30');
    const custom = readFilterForm(form);
    expect(custom.range).toBeUndefined();
    expect(custom.from).toBe(fromLocalInput('2026-11-22T09:30'));
    expect(custom.to).toBe('');
  });
});

describe('local time inputs', () => {
  it('round-trips a local minute through RFC 3339', () => {
    const iso = fromLocalInput('2026-11-22T09:30');
    expect(iso).toMatch(/^2026-11-2\dT\d\d:30:00\.000Z$/);
    expect(toLocalInput(iso)).toBe('2026-11-22T09:30');
  });
  it('turns empty or bad values into empty ones', () => {
    expect(fromLocalInput('')).toBe('');
    expect(fromLocalInput('soon')).toBe('');
    expect(toLocalInput('1732000000')).toBe('');
    expect(toLocalInput(undefined)).toBe('');
  });
});
