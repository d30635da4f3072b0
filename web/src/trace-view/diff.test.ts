import { describe, expect, it } from 'vitest';
import type { DiffStep } from '../shared/model';
import { signedMs, signedTokens, visibleSteps } from './diff';

const step = (kind: DiffStep['kind'], parent: number | null): DiffStep => ({
  kind, key: 'span:x', depth: 1, parent, a: null, b: null, changes: [], latency_delta_ms: 0,
  tokens_delta: { input: 0, output: 0, total: 0 }, cost_delta: 0, status: ['', ''], model: ['', ''],
});

describe('visibleSteps', () => {
  // 0 root (same) ─ 1 same ─ 2 changed
  //               └ 3 same
  //               └ 4 added
  const steps = [step('same', null), step('same', 0), step('changed', 1), step('same', 0), step('added', 0)];
  it('lists every step by default', () => {
    expect(visibleSteps(steps, false)).toEqual([0, 1, 2, 3, 4]);
  });
  it('keeps changes and their ancestors only when asked', () => {
    expect(visibleSteps(steps, true)).toEqual([0, 1, 2, 4]);
  });
  it('is empty when nothing changed', () => {
    expect(visibleSteps([step('same', null)], true)).toEqual([]);
  });
});

describe('signed deltas', () => {
  it('shows the sign and a true minus', () => {
    expect(signedMs(0)).toBe('0');
    expect(signedTokens(1234)).toBe('+1,234');
    expect(signedTokens(-5)).toBe('−5');
  });
});
