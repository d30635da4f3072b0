// A table of scores: name, value, comment, source, and optionally the step each is about. Every
// field is client-sent text and rendered as text only.
import type { ReactNode } from 'react';
import type { Score } from '../shared/model';
import { formatScoreValue } from './scores';

export function ScoreTable({ scores, step }: { scores: readonly Score[]; step?: (score: Score) => ReactNode }) {
  return (
    <table className="list scores">
      <thead>
        <tr><th>Score</th><th>Value</th><th>Comment</th><th>Source</th>{step && <th>Step</th>}</tr>
      </thead>
      <tbody>
        {scores.map((s) => (
          <tr key={s.id}>
            <td>{s.name}</td>
            <td className="score-value"><strong>{formatScoreValue(s.value)}</strong></td>
            <td>{s.comment ?? ''}</td>
            <td className="muted">{s.source ?? ''}</td>
            {step && <td>{step(s)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
