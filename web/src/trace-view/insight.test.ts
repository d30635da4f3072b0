import { describe, expect, it } from 'vitest';
import type { TraceInsight } from '../shared/model';
import { criticalPath, findingLabel, stopLabel } from './insight';

const insight = (path: TraceInsight['critical_path']): TraceInsight => ({
  trace_id: 't',
  profile: { observations: 3, model_calls: 1, tool_calls: 1, retrievals: 0, retries: 0, errors: 0, max_depth: 2,
             planning_iterations: 1, stop_reason: 'final_answer', stop_observation_id: 'g', stop_evidence: '' },
  critical_path: path, self_ms: {}, findings: [],
});

describe('criticalPath', () => {
  it('sums the segments of each span and skips uncovered time', () => {
    const path = criticalPath(insight([
      { observation_id: 'root', start: '', end: '', duration_ms: 10 },
      { observation_id: 'tool', start: '', end: '', duration_ms: 200 },
      { observation_id: null, start: '', end: '', duration_ms: 5 },
      { observation_id: 'root', start: '', end: '', duration_ms: 15 },
    ]));
    expect([...path.entries()]).toEqual([['root', 25], ['tool', 200]]);
  });
  it('is empty for an empty path', () => {
    expect(criticalPath(insight([])).size).toBe(0);
  });
});

describe('labels', () => {
  it.each([
    ['final_answer', 'Final answer'],
    ['max_iterations', 'Hit its iteration limit'],
    ['token_limit', 'Ran out of tokens'],
  ] as const)('stop reason %s → %s', (reason, label) => {
    expect(stopLabel(reason)).toBe(label);
  });
  it('turns a finding kind into words', () => {
    expect(findingLabel('success_after_failed_tool')).toBe('Success after failed tool');
    expect(findingLabel('<b>x</b>')).toBe('<b>x</b>');
  });
});
