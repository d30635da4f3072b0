// The workflow page's model: the API shapes (docs/api.md "workflow") and which request the URL's
// parameters make.

export interface WorkflowTotals {
  runs: number; spans_per_run: number; model_calls_per_run: number; tool_calls_per_run: number;
  errors_per_run: number; cost_per_run: number; total_tokens_per_run: number; latency_p50_ms: number; latency_p95_ms: number;
}

// Where the server read a graph from: the rollups of the runs evaluated at completion (the default),
// or the newest runs themselves (with `limit`).
export type WorkflowSource = 'rollups' | 'runs';

export interface WorkflowGraph {
  name: string;
  source: WorkflowSource;
  totals: WorkflowTotals;
  nodes: { path: string; key: string; parent: number | null; depth: number; runs: number; calls: number;
           calls_per_run: number; latency_p50_ms: number; latency_p95_ms: number; cost: number; mean_cost: number;
           total_tokens: number; errors: number }[];
  edges: { kind: 'contains' | 'then'; from: number; to: number; runs: number; count: number }[];
}

export interface WorkflowDiff {
  name: string;
  source: WorkflowSource;
  before: WorkflowTotals;
  after: WorkflowTotals;
  new_nodes: string[];
  vanished_nodes: string[];
  new_edges: { kind: string; from: string; to: string; runs: number; count: number }[];
  vanished_edges: { kind: string; from: string; to: string; runs: number; count: number }[];
  moved: { path: string; calls_per_run: [number, number]; latency_p50_ms: [number, number];
           latency_p95_ms: [number, number]; mean_cost: [number, number]; moved: string[] }[];
}

// The form's fields, as URL and API parameters, with their labels.
export const kWorkflowFields: [string, string][] = [
  ['name', 'Agent (trace name)'], ['release', 'Release'],
  ['before_release', 'Compare: release before'], ['after_release', 'release after'],
];

// How the page says where a graph came from.
export function sourceLabel(source: WorkflowSource | undefined): string {
  return source === 'runs' ? 'from the newest runs' : 'from the runs evaluated in the last 7 days';
}

// Whether an answer from the rollups counts no run at all (a new agent whose runs are not
// evaluated yet, a store just upgraded): the page then asks for the newest runs themselves
// (withRuns), so it never shows an empty graph while runs exist.
export function rollupsAreEmpty(answer: WorkflowGraph | WorkflowDiff): boolean {
  if (answer.source !== 'rollups') return false;
  return 'totals' in answer ? answer.totals.runs === 0 : answer.before.runs === 0 && answer.after.runs === 0;
}

// The same request read from the newest runs themselves (the API's `limit`).
export function withRuns(path: string): string {
  return `${path}&limit=200`;
}

// The API request the page's URL parameters make: the graph of `name` (of `release`), or with
// both before_release and after_release the diff; null without a name.
export function workflowQuery(params: URLSearchParams): { kind: 'graph' | 'diff'; path: string } | null {
  const name = params.get('name')?.trim();
  if (!name) return null;
  const before = params.get('before_release')?.trim();
  const after = params.get('after_release')?.trim();
  if (before && after) {
    return { kind: 'diff', path: `/api/v1/workflow/diff?${new URLSearchParams({ name, before_release: before, after_release: after })}` };
  }
  const query = new URLSearchParams({ name });
  const release = params.get('release')?.trim();
  if (release) query.set('release', release);
  return { kind: 'graph', path: `/api/v1/workflow?${query}` };
}
