// Pure helpers for the run insight shown above a trace (GET /api/v1/traces/{id}/insight;
// docs/insight.md): labels, and the sets the tree needs to mark the critical path.
import type { TraceInsight } from '../shared/model';

const kStopLabels: Record<TraceInsight['profile']['stop_reason'], string> = {
  final_answer: 'Final answer',
  error: 'Failed',
  max_iterations: 'Hit its iteration limit',
  token_limit: 'Ran out of tokens',
  cancelled: 'Cancelled',
  unknown: 'Unknown',
};

// How the run ended, in words.
export function stopLabel(reason: TraceInsight['profile']['stop_reason']): string {
  return kStopLabels[reason] ?? reason;
}

// "repeated_tool_call" → "Repeated tool call"; unknown kinds are shown the same way.
export function findingLabel(kind: string): string {
  const words = kind.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// The observations on the critical path, and the time each spent there (ms; a span can appear in
// several segments when its children interrupt it).
export function criticalPath(insight: TraceInsight): Map<string, number> {
  const onPath = new Map<string, number>();
  for (const segment of insight.critical_path) {
    if (segment.observation_id === null) continue;
    onPath.set(segment.observation_id, (onPath.get(segment.observation_id) ?? 0) + segment.duration_ms);
  }
  return onPath;
}

// Traces larger than this are analyzed only when asked: the analysis reads every span in full.
export const kAutoInsightMaxSpans = 20000;
