import { describe, expect, it } from 'vitest';
import { workflowQuery } from './workflow';

describe('workflowQuery', () => {
  it('needs a name', () => {
    expect(workflowQuery(new URLSearchParams(''))).toBeNull();
    expect(workflowQuery(new URLSearchParams('name=%20'))).toBeNull();
  });
  it('asks for the graph, of one release when given', () => {
    expect(workflowQuery(new URLSearchParams('name=agent&release=v2'))).toEqual(
      { kind: 'graph', path: '/api/v1/workflow?name=agent&release=v2' });
  });
  it('asks for the diff when both sides have a release', () => {
    expect(workflowQuery(new URLSearchParams('name=a b&before_release=v1&after_release=v2'))).toEqual(
      { kind: 'diff', path: '/api/v1/workflow/diff?name=a+b&before_release=v1&after_release=v2' });
    expect(workflowQuery(new URLSearchParams('name=a&before_release=v1'))?.kind).toBe('graph');
  });
});
