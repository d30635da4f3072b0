// Pure helpers of the trace diff page (DiffPage.tsx): signed deltas and which steps to show.
import { formatCost, formatDurationMs, formatTokens } from '../shared/format';
import type { DiffStep } from '../shared/model';

// "+1.20 s", "−350 ms", "0": the sign always shown, a true minus sign.
export function signed(value: number, format: (n: number) => string): string {
  if (value === 0) return '0';
  return `${value > 0 ? '+' : '−'}${format(Math.abs(value))}`;
}

export const signedMs = (ms: number) => signed(ms, formatDurationMs);
export const signedTokens = (n: number) => signed(n, formatTokens);
export const signedCost = (usd: number) => signed(usd, formatCost);

// The steps to list: every step, or with `onlyChanges` those that are not "same" together with
// their ancestors (so each change keeps its place in the tree).
export function visibleSteps(steps: readonly DiffStep[], onlyChanges: boolean): number[] {
  if (!onlyChanges) return steps.map((_, i) => i);
  const keep = new Array<boolean>(steps.length).fill(false);
  for (let i = 0; i < steps.length; i++) {
    if (steps[i].kind === 'same') continue;
    for (let j: number | null = i; j !== null && !keep[j]; j = steps[j].parent) keep[j] = true;
  }
  return steps.flatMap((_, i) => (keep[i] ? [i] : []));
}
