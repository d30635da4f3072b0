// The workflow page's model: the API shapes (docs/api.md "workflow") and which request the URL's
// parameters make.

export interface WorkflowTotals {
  runs: number; spans_per_run: number; model_calls_per_run: number; tool_calls_per_run: number;
  errors_per_run: number; cost_per_run: number; total_tokens_per_run: number; latency_p50_ms: number; latency_p95_ms: number;
}

export interface WorkflowGraph {
  name: string;
  totals: WorkflowTotals;
  nodes: { path: string; key: string; parent: number | null; depth: number; runs: number; calls: number;
           calls_per_run: number; latency_p50_ms: number; latency_p95_ms: number; cost: number; mean_cost: number;
           total_tokens: number; errors: number }[];
  edges: { kind: 'contains' | 'then'; from: number; to: number; runs: number; count: number }[];
}

export interface WorkflowDiff {
  name: string;
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
