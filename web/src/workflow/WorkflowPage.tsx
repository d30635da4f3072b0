// An agent's workflow across its recent runs (GET /api/v1/workflow; docs/insight.md "Workflow
// graph"): every step by its place in the run with calls per run, latency and cost, the loops;
// and, given a release (or time range) on each side, what changed between them (GET
// /api/v1/workflow/diff): new and vanished steps and branches, steps that moved, per-run totals.
// The form lives in the URL, so a view is a link. Names are client-sent: rendered as text only.
import { useState, type FormEvent } from 'react';
import { useApi } from '../app/api';
import { navigate } from '../app/router';
import { formatCost, formatDurationMs } from '../shared/format';
import { Problem } from '../shared/TypeIcon';
import { type WorkflowDiff, type WorkflowGraph, rollupsAreEmpty, sourceLabel, withRuns, workflowQuery,
  kWorkflowFields } from './workflow';

function Graph({ graph }: { graph: WorkflowGraph }) {
  const t = graph.totals;
  const loops = graph.edges.filter((e) => e.kind === 'then' && e.from === e.to);
  return (
    <>
      <p className="muted">{t.runs} runs · per run {t.spans_per_run.toFixed(1)} steps, {t.model_calls_per_run.toFixed(1)} model calls, {t.tool_calls_per_run.toFixed(1)} tool calls, {formatCost(t.cost_per_run)} · latency p50 {formatDurationMs(t.latency_p50_ms)}, p95 {formatDurationMs(t.latency_p95_ms)} · {sourceLabel(graph.source)}</p>
      <table className="list workflow-table">
        <thead><tr><th>Step</th><th>Runs</th><th>Calls / run</th><th>p50</th><th>p95</th><th>Mean cost</th><th>Errors</th></tr></thead>
        <tbody>
          {graph.nodes.map((n, i) => (
            <tr key={i} className={n.errors > 0 ? 'row-error' : ''}>
              <td style={{ paddingLeft: 8 + 14 * Math.min(n.depth - 1, 30) }}>{n.key}</td>
              <td className="num">{n.runs}</td>
              <td className="num">{n.calls_per_run.toFixed(2)}</td>
              <td className="num">{formatDurationMs(n.latency_p50_ms)}</td>
              <td className="num">{formatDurationMs(n.latency_p95_ms)}</td>
              <td className="num">{formatCost(n.mean_cost)}</td>
              <td className="num">{n.errors}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {loops.length > 0 && (
        <ul className="loops">
          {loops.map((e, i) => <li key={i}>↻ {graph.nodes[e.from].path} repeats in {e.runs} runs ({e.count} times)</li>)}
        </ul>
      )}
    </>
  );
}

function Diff({ diff }: { diff: WorkflowDiff }) {
  const { before: b, after: a } = diff;
  const row = (label: string, x: string, y: string) => <tr><td>{label}</td><td className="num">{x}</td><td className="num">{y}</td></tr>;
  return (
    <>
      <p className="muted">{sourceLabel(diff.source)}</p>
      <table className="list workflow-totals">
        <thead><tr><th>Per run</th><th>Before</th><th>After</th></tr></thead>
        <tbody>
          {row('Runs', String(b.runs), String(a.runs))}
          {row('Tool calls', b.tool_calls_per_run.toFixed(1), a.tool_calls_per_run.toFixed(1))}
          {row('Model calls', b.model_calls_per_run.toFixed(1), a.model_calls_per_run.toFixed(1))}
          {row('Cost', formatCost(b.cost_per_run), formatCost(a.cost_per_run))}
          {row('Latency p50', formatDurationMs(b.latency_p50_ms), formatDurationMs(a.latency_p50_ms))}
        </tbody>
      </table>
      <ul className="workflow-changes">
        {diff.new_nodes.map((p) => <li key={`n${p}`} className="added">+ new step {p}</li>)}
        {diff.vanished_nodes.map((p) => <li key={`v${p}`} className="removed">− vanished step {p}</li>)}
        {diff.new_edges.map((e, i) => <li key={`ne${i}`} className="added">+ new branch {e.from} → {e.to} ({e.runs} runs)</li>)}
        {diff.vanished_edges.map((e, i) => <li key={`ve${i}`} className="removed">− gone branch {e.from} → {e.to}</li>)}
        {diff.moved.map((m) => (
          <li key={`m${m.path}`} className="moved">~ {m.path}: calls/run {m.calls_per_run[0].toFixed(2)} → {m.calls_per_run[1].toFixed(2)}, p50 {formatDurationMs(m.latency_p50_ms[0])} → {formatDurationMs(m.latency_p50_ms[1])}, mean cost {formatCost(m.mean_cost[0])} → {formatCost(m.mean_cost[1])}</li>
        ))}
        {diff.new_nodes.length + diff.vanished_nodes.length + diff.new_edges.length + diff.vanished_edges.length + diff.moved.length === 0 && <li className="muted">No change in the workflow.</li>}
      </ul>
    </>
  );
}

export function WorkflowPage({ search }: { search: string }) {
  const params = new URLSearchParams(search);
  const [form, setForm] = useState<Record<string, string>>(Object.fromEntries(kWorkflowFields.map(([f]) => [f, params.get(f) ?? ''])));
  const query = workflowQuery(params);
  const fromRollups = useApi<WorkflowGraph>(query?.kind === 'graph' ? query.path : null);
  const diffFromRollups = useApi<WorkflowDiff>(query?.kind === 'diff' ? query.path : null);
  // No evaluated run in the rollups: the newest runs instead.
  const graphFallback = query !== null && fromRollups.state === 'done' && rollupsAreEmpty(fromRollups.data);
  const diffFallback = query !== null && diffFromRollups.state === 'done' && rollupsAreEmpty(diffFromRollups.data);
  const fromRuns = useApi<WorkflowGraph>(graphFallback ? withRuns(query.path) : null);
  const diffFromRuns = useApi<WorkflowDiff>(diffFallback ? withRuns(query.path) : null);
  const graph = graphFallback ? fromRuns : fromRollups;
  const diff = diffFallback ? diffFromRuns : diffFromRollups;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams(Object.entries(form).filter(([, v]) => v.trim() !== ''));
    navigate(`/workflow?${next}`);
  };
  return (
    <section className="workflow-page">
      <h1>Workflow</h1>
      <form className="filters" onSubmit={submit}>
        <div className="filter-row">
          {kWorkflowFields.map(([field, label]) => (
            <label key={field}>{label}
              <input value={form[field]} onChange={(e) => setForm({ ...form, [field]: e.target.value })} />
            </label>
          ))}
          <button type="submit">Show</button>
        </div>
      </form>
      {query === null && <p className="empty">Name an agent (the trace name of its runs); add a release on both sides to compare them.</p>}
      {query?.kind === 'graph' && (graph.state === 'loading' ? <p className="loading">Loading…</p>
        : graph.state === 'error' ? <Problem error={graph.error} /> : <Graph graph={graph.data} />)}
      {query?.kind === 'diff' && (diff.state === 'loading' ? <p className="loading">Comparing…</p>
        : diff.state === 'error' ? <Problem error={diff.error} /> : <Diff diff={diff.data} />)}
    </section>
  );
}
