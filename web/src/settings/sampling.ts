// Tail sampling as the settings page shows it (docs/insight.md "Tail sampling", docs/api.md "Tail
// sampling"): the policy of GET /api/v1/sampling in words, and the share of traces kept.

export interface ScoreFloor { name: string; value: number }

export interface SamplingPolicy {
  enabled: boolean;
  keep_fraction: number;
  keep_errors: boolean;
  keep_findings: boolean;
  keep_rule_failures: boolean;
  keep_scores_below: ScoreFloor[];
  keep_cost_above_usd: number | null;
  keep_latency_above_ms: number | null;
}

export interface SamplingTally { kept: number; dropped: number; kept_by_reason: Record<string, number> }

export interface SamplingCounts extends SamplingTally {
  days: number;
  from: string;
  to: string;
  daily: (SamplingTally & { day: string })[];
}

export interface SamplingResponse { policy: SamplingPolicy; updated: string | null; counts: SamplingCounts }

// What the policy keeps whatever the fraction, one phrase each, in the order the server checks.
export function keptAlways(policy: SamplingPolicy): string[] {
  const out: string[] = [];
  if (policy.keep_errors) out.push('traces with an error');
  if (policy.keep_findings) out.push('traces with a finding');
  if (policy.keep_rule_failures) out.push('traces that broke a process rule');
  for (const floor of policy.keep_scores_below) out.push(`traces whose score "${floor.name}" is below ${floor.value}`);
  if (policy.keep_cost_above_usd !== null) out.push(`traces costing more than $${policy.keep_cost_above_usd}`);
  if (policy.keep_latency_above_ms !== null) out.push(`traces taking longer than ${policy.keep_latency_above_ms} ms`);
  return out;
}

// "10%" of the rest; whole numbers without decimals, small shares with up to two.
export function fractionText(fraction: number): string {
  const percent = fraction * 100;
  return `${Number.isInteger(percent) ? percent : Number(percent.toFixed(2))}%`;
}

// The share of decided traces that were kept, or null when nothing was decided.
export function keptShare(tally: SamplingTally): number | null {
  const decided = tally.kept + tally.dropped;
  return decided === 0 ? null : tally.kept / decided;
}

// Reasons with their counts, most first (ties by name), as "error 12".
export function reasonsText(byReason: Record<string, number>): string {
  return Object.entries(byReason)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason, n]) => `${reason.replace(/_/g, ' ')} ${n}`)
    .join(', ');
}
