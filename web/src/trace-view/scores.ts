// The scores of one trace (evaluations, user feedback) for the trace view: pure functions.
import type { Score } from '../shared/model';

// The scores about each observation, by observation id, in the order given (the API's: newest
// first). Scores about the trace as a whole have no entry.
export function scoresByObservation(scores: readonly Score[]): Map<string, Score[]> {
  const out = new Map<string, Score[]>();
  for (const score of scores) {
    if (!score.observation_id) continue;
    const list = out.get(score.observation_id);
    if (list) list.push(score);
    else out.set(score.observation_id, [score]);
  }
  return out;
}

// A score value as text: 0.91234 → "0.912", 3 → "3", true → "true", "good" → "good".
export function formatScoreValue(value: Score['value']): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value) ?? ''; // not a type the API sends; shown rather than dropped
}
