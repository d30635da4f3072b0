// One trace: totals on top, then the trace as a tree with its timeline, a flame graph or an agent
// graph (tabs), and the detail panel of the selection. The selection is shared: a step selected
// in any view is selected in all of them (the tree opens its ancestors and fold to show it).
// The view model (tree, folding) is built once per trace; expanding and selecting only
// recompute the visible rows.
import { lazy, Suspense, useMemo, useState } from 'react';
import { useApi } from '../app/api';
import { Link } from '../app/router';
import { formatCost, formatDurationMs, formatTime, formatTokens } from '../shared/format';
import type { Observation, TraceDetail } from '../shared/model';
import { Problem, StatusBadge } from '../shared/TypeIcon';
import { traceTotals } from './detail';
import { DetailPanel, type Selection } from './DetailPanel';
import type { FlameWeight } from './flame';
import { FlameGraph } from './FlameGraph';
import { foldIndex, foldTree, revealNode, visibleRows, type FoldGroup } from './fold';
import { buildTree, type TreeNode } from './tree';
import { TreeTimeline, type SelectedItem } from './TreeTimeline';

const AgentGraph = lazy(() => import('./AgentGraph'));

type Tab = 'tree' | 'flame' | 'graph';
const kTabs: [Tab, string][] = [['tree', 'Tree & timeline'], ['flame', 'Flame graph'], ['graph', 'Agent graph']];

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
  const foldOf = useMemo(() => foldIndex(folded), [folded]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<TreeNode<Observation>>>(new Set());
  const [openFolds, setOpenFolds] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<SelectedItem>(tree.roots[0] ?? null);
  const [tab, setTab] = useState<Tab>('tree');
  const [flameWeight, setFlameWeight] = useState<FlameWeight>('time');
  const rows = useMemo(() => visibleRows(folded, collapsed, openFolds), [folded, collapsed, openFolds]);
  const selectedNodes = useMemo<ReadonlySet<TreeNode<Observation>>>(
    () => new Set(selected === null ? [] : 'kind' in selected ? selected.members : [selected]), [selected]);

  const toggle = <T,>(set: ReadonlySet<T>, item: T) => {
    const next = new Set(set);
    if (!next.delete(item)) next.add(item);
    return next;
  };
  // Selecting in the flame graph or the agent graph also opens the tree down to the step.
  const selectAndReveal = (item: SelectedItem) => {
    setSelected(item);
    if (item === null || 'kind' in item) return;
    const { expand, openFolds: folds } = revealNode(item, foldOf, collapsed);
    if (expand.length > 0) setCollapsed((c) => new Set([...c].filter((n) => !expand.includes(n))));
    if (folds.length > 0) setOpenFolds((f) => new Set([...f, ...folds]));
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
        <div className="trace-main">
          <div className="tabs" role="tablist">
            {kTabs.map(([id, label]) => (
              <button key={id} role="tab" aria-selected={tab === id} className={tab === id ? 'active' : ''} onClick={() => setTab(id)}>{label}</button>
            ))}
          </div>
          {tab === 'tree' && (
            <TreeTimeline rows={rows} traceStartUs={tree.startUs} traceEndUs={tree.endUs} selected={selected}
              selectedNodes={selectedNodes}
              onSelect={setSelected}
              onToggleNode={(node) => setCollapsed((c) => toggle(c, node))}
              onToggleFold={(group) => setOpenFolds((f) => toggle(f, group.id))} />
          )}
          {tab === 'flame' && (
            <FlameGraph tree={tree} weight={flameWeight} onWeight={setFlameWeight} selectedNodes={selectedNodes}
              onSelect={selectAndReveal} />
          )}
          {tab === 'graph' && (
            <Suspense fallback={<p className="loading">Loading graph…</p>}>
              <AgentGraph tree={tree} selected={selected} onSelect={selectAndReveal} />
            </Suspense>
          )}
        </div>
        <DetailPanel selection={selection} onSelect={selectAndReveal} />
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
