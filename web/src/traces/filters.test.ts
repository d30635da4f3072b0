import { describe, expect, it } from 'vitest';
import { filtersToQuery, parseFilters } from './filters';

describe('trace filters', () => {
  it('keeps known non-empty filters and drops the rest', () => {
    expect(parseFilters('?status=error&name=&bogus=1&tag=%20prod%20')).toEqual({ status: 'error', tag: 'prod' });
  });
  it('round-trips through the URL in a stable order', () => {
    const query = filtersToQuery({ tag: 'a b', status: 'error', q: 'x&y' });
    expect(query).toBe('q=x%26y&tag=a+b&status=error');
    expect(parseFilters(query)).toEqual({ q: 'x&y', tag: 'a b', status: 'error' });
  });
  it('adds the cursor for the API', () => {
    expect(filtersToQuery({ model: 'gpt-4o' }, 'abc=')).toBe('model=gpt-4o&cursor=abc%3D');
  });
});
