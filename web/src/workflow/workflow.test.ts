import { describe, expect, it } from 'vitest';
import { type WorkflowDiff, type WorkflowGraph, type WorkflowTotals, rollupsAreEmpty, sourceLabel, withRuns,
  workflowQuery } from './workflow';

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

describe('sourceLabel', () => {
  it('says whether the graph came from the rollups or the runs themselves', () => {
    expect(sourceLabel('rollups')).toBe('from the runs evaluated in the last 7 days');
    expect(sourceLabel('runs')).toBe('from the newest runs');
  });
});

describe('rollupsAreEmpty', () => {
  const totals = (runs: number) => ({ runs } as WorkflowTotals);
  const graph = (source: 'rollups' | 'runs', runs: number) => ({ name: 'a', source, totals: totals(runs), nodes: [], edges: [] }) as WorkflowGraph;
  const diff = (before: number, after: number) => ({ name: 'a', source: 'rollups', before: totals(before), after: totals(after) }) as WorkflowDiff;
  it('asks for the runs themselves only when the rollups count no run', () => {
    expect(rollupsAreEmpty(graph('rollups', 0))).toBe(true);
    expect(rollupsAreEmpty(graph('rollups', 3))).toBe(false);
    expect(rollupsAreEmpty(graph('runs', 0))).toBe(false);
    expect(rollupsAreEmpty(diff(0, 0))).toBe(true);
    expect(rollupsAreEmpty(diff(0, 2))).toBe(false);
    expect(withRuns('/api/v1/workflow?name=a')).toBe('/api/v1/workflow?name=a&limit=200');
  });
});
