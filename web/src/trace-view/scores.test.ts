import { describe, expect, it } from 'vitest';
import type { Score } from '../shared/model';
import { formatScoreValue, scoresByObservation } from './scores';

const score = (id: string, observation_id: string | null): Score => ({
  id, trace_id: 't', observation_id, name: 'q', value: 1, comment: null, source: 'API', time: null,
});

describe('scoresByObservation', () => {
  it('groups scores by observation in the given order and leaves trace-level ones out', () => {
    const byObs = scoresByObservation([score('a', 'o1'), score('b', null), score('c', 'o2'), score('d', 'o1'), score('e', '')]);
    expect([...byObs.keys()]).toEqual(['o1', 'o2']);
    expect(byObs.get('o1')!.map((s) => s.id)).toEqual(['a', 'd']);
    expect(byObs.get('o2')!.map((s) => s.id)).toEqual(['c']);
  });
  it('is empty for no scores', () => {
    expect(scoresByObservation([]).size).toBe(0);
  });
});

describe('formatScoreValue', () => {
  it.each([
    [0.91234, '0.912'],
    [0.9, '0.9'],
    [3, '3'],
    [-1.5, '-1.5'],
    [true, 'true'],
    [false, 'false'],
    ['needs work', 'needs work'],
    ['<b>not html</b>', '<b>not html</b>'],
  ])('%j → %s', (value, text) => {
    expect(formatScoreValue(value)).toBe(text);
  });
});
