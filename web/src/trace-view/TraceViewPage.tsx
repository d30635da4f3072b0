// One trace: totals on top, the tree with its timeline, and the detail panel of the selection.
// The view model (tree, folding) is built once per trace; expanding and selecting only
// recompute the visible rows.
import { useMemo, useState } from 'react';
import { useApi } from '../app/api';
import { Link } from '../app/router';
import { formatCost, formatDurationMs, formatTime, formatTokens } from '../shared/format';
import type { Observation, TraceDetail } from '../shared/model';
import { Problem, StatusBadge } from '../shared/TypeIcon';
import { traceTotals } from './detail';
import { DetailPanel, type Selection } from './DetailPanel';
import { foldTree, visibleRows, type FoldGroup } from './fold';
import { buildTree, type TreeNode } from './tree';
import { TreeTimeline, type SelectedItem } from './TreeTimeline';

// Siblings that repeat this often are folded into one row.
const kMinRepeat = 5;

function Totals({ detail }: { detail: TraceDetail }) {
  const totals = traceTotals(detail.trace, detail.observations);
  const items: [string, string, boolean][] = [
    ['Latency', formatDurationMs(totals.latencyMs), false],
    ['Tokens', formatTokens(totals.tokens), false],
    ['Cost', formatCost(totals.cost), false],
    ['Model calls', String(totals.modelCalls), false],
    ['Tool calls', String(totals.toolCalls), false],
    ['Errors', String(totals.errors), totals.errors > 0],
  ];
  return (
    <div className="totals">
      {items.map(([label, value, bad]) => (
        <div key={label} className={`total${bad ? ' bad' : ''}`}><span className="total-value">{value}</span><span className="total-label">{label}</span></div>
      ))}
    </div>
  );
}

function TraceView({ detail }: { detail: TraceDetail }) {
  const tree = useMemo(() => buildTree(detail.observations), [detail]);
  const folded = useMemo(() => foldTree(tree, kMinRepeat), [tree]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<TreeNode<Observation>>>(new Set());
  const [openFolds, setOpenFolds] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<SelectedItem>(tree.roots[0] ?? null);
  const rows = useMemo(() => visibleRows(folded, collapsed, openFolds), [folded, collapsed, openFolds]);

  const toggle = <T,>(set: ReadonlySet<T>, item: T) => {
    const next = new Set(set);
    if (!next.delete(item)) next.add(item);
    return next;
  };
  const selection: Selection = selected === null ? null
    : 'kind' in selected ? { kind: 'fold', group: selected as FoldGroup<Observation> }
    : { kind: 'node', obs: selected.obs };
  const { trace } = detail;
  return (
    <section className="trace-view">
      <div className="trace-header">
        <h1><span>{trace.name || trace.id}</span> <StatusBadge status={trace.status} /></h1>
        <div className="muted">
          {formatTime(trace.start_time)} · <code>{trace.id}</code>
          {trace.session_id && <> · session <Link to={`/sessions/${encodeURIComponent(trace.session_id)}`}>{trace.session_id}</Link></>}
          {trace.user_id && <> · user {trace.user_id}</>}
          {(tree.orphans > 0 || tree.cycles > 0) && <> · {tree.orphans} orphaned, {tree.cycles} in parent cycles</>}
        </div>
        <Totals detail={detail} />
      </div>
      <div className="trace-body">
        <TreeTimeline rows={rows} traceStartUs={tree.startUs} traceEndUs={tree.endUs} selected={selected}
          onSelect={setSelected}
          onToggleNode={(node) => setCollapsed((c) => toggle(c, node))}
          onToggleFold={(group) => setOpenFolds((f) => toggle(f, group.id))} />
        <DetailPanel selection={selection} />
      </div>
    </section>
  );
}

export function TraceViewPage({ traceId }: { traceId: string }) {
  const result = useApi<TraceDetail>(`/api/v1/traces/${encodeURIComponent(traceId)}`);
  if (result.state === 'loading') return <p className="loading">Loading trace…</p>;
  if (result.state === 'error') return <Problem error={result.error} />;
  return <TraceView key={traceId} detail={result.data} />;
}
