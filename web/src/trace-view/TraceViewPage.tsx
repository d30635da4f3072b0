// One trace: totals, the trace's scores and the run insight (how it ended, findings, the critical
// path marked in the tree) on top, then the trace as a tree with its timeline, a
// flame graph or an agent graph (tabs), and the detail panel of the selection. The selection is
// shared: a step selected in any view is selected in all of them (the tree opens its ancestors and
// fold to show it).
// The observations arrive as summary pages (paging.ts) and go into the view model (tree, folding;
// model.ts) page by page; the view takes a snapshot of it a few times for a huge trace, and
// expanding and selecting only recompute the visible rows. The selected step is fetched in full
// for the detail panel.
import { lazy, memo, Suspense, useEffect, useMemo, useState } from 'react';
import { getJson } from '../app/api';
import { Link, useLocation } from '../app/router';
import { formatCost, formatDurationMs, formatTime, formatTokens } from '../shared/format';
import type { Observation, ObservationPage, ObservationSummary, Page, Score, Trace, TraceInsight } from '../shared/model';
import { Problem, StatusBadge } from '../shared/TypeIcon';
import { traceTotals } from './detail';
import { DetailPanel, type Selection } from './DetailPanel';
import { ScoreTable } from './ScoreTable';
import { scoresByObservation } from './scores';
import type { FlameWeight } from './flame';
import { FlameGraph } from './FlameGraph';
import { criticalPath, kAutoInsightMaxSpans } from './insight';
import { InsightPanel } from './InsightPanel';
import { foldIndex, groupOf, revealNode, visibleRows, type FoldGroup } from './fold';
import { TraceModelBuilder, type TraceModel } from './model';
import { FullObservations, loadAllPages, observationPath, observationsPath, pageSizeFrom, type LoadProgress } from './paging';
import type { TreeNode } from './tree';
import { TreeTimeline, type SelectedItem } from './TreeTimeline';

const AgentGraph = lazy(() => import('./AgentGraph'));

type Tab = 'tree' | 'flame' | 'graph';
const kTabs: [Tab, string][] = [['tree', 'Tree & timeline'], ['flame', 'Flame graph'], ['graph', 'Agent graph']];

// Siblings that repeat this often are folded into one row.
const kMinRepeat = 5;

function Totals({ trace, nodes }: { trace: Trace; nodes: readonly TreeNode<ObservationSummary>[] }) {
  const totals = useMemo(() => traceTotals(trace, nodes.map((n) => n.obs)), [trace, nodes]);
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

// Links to the diff page: against the typical run of this name, or against a trace id typed in.
function CompareLinks({ traceId }: { traceId: string }) {
  const [other, setOther] = useState('');
  const base = `/traces/${encodeURIComponent(traceId)}/diff`;
  return (
    <span className="compare">
      · <Link to={`${base}?against=typical`}>Compare with typical run</Link>
      <input aria-label="Compare with trace id" placeholder="or trace id" size={14} value={other}
        onChange={(e) => setOther(e.target.value.trim())} />
      {other && <Link to={`${base}?against=${encodeURIComponent(other)}`}>Compare</Link>}
    </span>
  );
}

// Up to this many scores show open on the trace header; more start collapsed.
const kOpenScores = 5;

// The trace's scores under its header; one about a step links to it.
function TraceScores({ scores, stepOf, onSelect }: {
  scores: readonly Score[];
  stepOf: (id: string) => TreeNode<ObservationSummary> | undefined;
  onSelect: (node: TreeNode<ObservationSummary>) => void;
}) {
  if (scores.length === 0) return null;
  const step = (score: Score) => {
    if (!score.observation_id) return <span className="muted">trace</span>;
    const node = stepOf(score.observation_id);
    if (!node) return <code>{score.observation_id}</code>;
    return <button className="link" onClick={() => onSelect(node)}>{node.obs.name || node.obs.id}</button>;
  };
  return (
    <details className="trace-scores" open={scores.length <= kOpenScores}>
      <summary>Scores ({scores.length})</summary>
      <ScoreTable scores={scores} step={step} />
    </details>
  );
}

// What is selected: a step by id, so it survives the tree being rebuilt as more spans arrive, or a
// group (a folded row, or a step of the agent graph), remapped onto the new tree by its members' ids.
type SelectedKey = { node: string } | { group: FoldGroup<ObservationSummary> } | null;

// The full observation of the selected step, fetched on demand.
type FullState = { id: string; obs?: Observation; error?: Error } | null;

interface TraceViewProps {
  trace: Trace;
  model: TraceModel<ObservationSummary>; // of the summaries loaded so far; a new snapshot as more load
  scores: Score[];
  full: FullObservations;
}

// The run insight, loaded beside the trace (or on request for a huge one).
type InsightState = { insight?: TraceInsight; error?: Error; loading: boolean } | null;

function useInsight(traceId: string, spans: number) {
  const [state, setState] = useState<InsightState>(null);
  const load = () => {
    setState({ loading: true });
    getJson<TraceInsight>(`/api/v1/traces/${encodeURIComponent(traceId)}/insight`).then(
      (insight) => setState({ insight, loading: false }),
      (error: Error) => setState({ error, loading: false }),
    );
  };
  useEffect(() => {
    if (spans <= kAutoInsightMaxSpans) load();
  }, [traceId]); // once per trace: later pages of a loading trace do not refetch
  return { state, load };
}

// Memoized: while a trace loads, the page re-renders for its progress line only.
const TraceView = memo(function TraceView({ trace, model, scores, full }: TraceViewProps) {
  const { tree, folded } = model;
  const scoresOf = useMemo(() => scoresByObservation(scores), [scores]);
  const foldOf = useMemo(() => foldIndex(folded), [folded]);
  const [collapsedIds, setCollapsedIds] = useState<ReadonlySet<string>>(new Set());
  const [openFolds, setOpenFolds] = useState<ReadonlySet<string>>(new Set());
  const [selectedKey, setSelectedKey] = useState<SelectedKey>(() => (tree.roots[0] ? { node: tree.roots[0].obs.id } : null));
  const [tab, setTab] = useState<Tab>('tree');
  const [flameWeight, setFlameWeight] = useState<FlameWeight>('time');
  const [fullState, setFullState] = useState<FullState>(null);
  const { state: insightState, load: loadInsight } = useInsight(trace.id, trace.counts.observations);
  const [showCritical, setShowCritical] = useState(false);
  const critical = useMemo(
    () => (showCritical && insightState?.insight ? criticalPath(insightState.insight) : null), [showCritical, insightState]);
  // Node and group objects are the current tree's; the state holds ids.
  const collapsed = useMemo(() => {
    const nodes = new Set<TreeNode<ObservationSummary>>();
    for (const id of collapsedIds) {
      const node = tree.byId.get(id);
      if (node) nodes.add(node);
    }
    return nodes;
  }, [tree, collapsedIds]);
  const selected = useMemo<SelectedItem>(() => {
    if (selectedKey === null) return null;
    if ('node' in selectedKey) return tree.byId.get(selectedKey.node) ?? null;
    const { group } = selectedKey;
    const first = group.members[0];
    const current = tree.byId.get(first.obs.id);
    const fold = current && foldOf.get(current);
    if (fold && fold.id === group.id) return fold; // the same folded row, maybe grown
    if (current === first) return group; // an agent graph step of this tree's nodes
    const members = group.members.flatMap((m) => tree.byId.get(m.obs.id) ?? []);
    return members.length > 0 ? groupOf(members, group.id) : null;
  }, [selectedKey, tree, foldOf]);
  const rows = useMemo(() => visibleRows(folded, collapsed, openFolds), [folded, collapsed, openFolds]);
  const selectedNodes = useMemo<ReadonlySet<TreeNode<ObservationSummary>>>(
    () => new Set(selected === null ? [] : 'kind' in selected ? selected.members : [selected]), [selected]);
  const selectedId = selectedKey !== null && 'node' in selectedKey ? selectedKey.node : null;
  useEffect(() => {
    if (selectedId === null) return;
    let live = true;
    full.get(selectedId).then(
      (obs) => { if (live) setFullState({ id: selectedId, obs }); },
      (error: Error) => { if (live) setFullState({ id: selectedId, error }); },
    );
    return () => { live = false; };
  }, [selectedId, full]);

  const toggle = <T,>(set: ReadonlySet<T>, item: T) => {
    const next = new Set(set);
    if (!next.delete(item)) next.add(item);
    return next;
  };
  const select = (item: SelectedItem) =>
    setSelectedKey(item === null ? null : 'kind' in item ? { group: item } : { node: item.obs.id });
  // Selecting in the flame graph or the agent graph also opens the tree down to the step.
  const selectAndReveal = (item: SelectedItem) => {
    select(item);
    if (item === null || 'kind' in item) return;
    const { expand, openFolds: folds } = revealNode(item, foldOf, collapsed);
    if (expand.length > 0) {
      const ids = new Set(expand.map((n) => n.obs.id));
      setCollapsedIds((c) => new Set([...c].filter((id) => !ids.has(id))));
    }
    if (folds.length > 0) setOpenFolds((f) => new Set([...f, ...folds]));
  };
  const selection: Selection = selected === null ? null
    : 'kind' in selected ? { kind: 'fold', group: selected as FoldGroup<ObservationSummary> }
    : fullState?.id === selected.obs.id && fullState.obs ? { kind: 'node', obs: fullState.obs }
    : fullState?.id === selected.obs.id && fullState.error ? { kind: 'failed', obs: selected.obs, error: fullState.error }
    : { kind: 'loading', obs: selected.obs };
  return (
    <section className="trace-view">
      <div className="trace-header">
        <h1><span>{trace.name || trace.id}</span> <StatusBadge status={trace.status} /></h1>
        <div className="muted">
          {formatTime(trace.start_time)} · <code>{trace.id}</code>
          {trace.session_id && <> · session <Link to={`/sessions/${encodeURIComponent(trace.session_id)}`}>{trace.session_id}</Link></>}
          {trace.user_id && <> · user {trace.user_id}</>}
          {(tree.orphans > 0 || tree.cycles > 0) && <> · {tree.orphans} orphaned, {tree.cycles} in parent cycles</>}
          <CompareLinks traceId={trace.id} />
        </div>
        <Totals trace={trace} nodes={tree.nodes} />
        <TraceScores scores={scores} stepOf={(id) => tree.byId.get(id)} onSelect={selectAndReveal} />
        {insightState?.insight && (
          <InsightPanel insight={insightState.insight} stepOf={(id) => tree.byId.get(id)} onSelect={selectAndReveal}
            showCritical={showCritical} onShowCritical={setShowCritical} />
        )}
        {insightState === null && <button onClick={loadInsight}>Analyze run</button>}
        {insightState?.loading && <p className="loading">Analyzing run…</p>}
        {insightState?.error && <p className="bad">Run insight: {insightState.error.message}</p>}
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
              onSelect={select}
              onToggleNode={(node) => setCollapsedIds((c) => toggle(c, node.obs.id))}
              onToggleFold={(group) => setOpenFolds((f) => toggle(f, group.id))}
              critical={critical} selfMs={insightState?.insight?.self_ms} />
          )}
          {tab === 'flame' && (
            <FlameGraph tree={tree} weight={flameWeight} onWeight={setFlameWeight} selectedNodes={selectedNodes}
              onSelect={selectAndReveal} />
          )}
          {tab === 'graph' && (
            <Suspense fallback={<p className="loading">Loading graph…</p>}>
              <AgentGraph tree={tree} steps={model.steps} selected={selected} onSelect={selectAndReveal} />
            </Suspense>
          )}
        </div>
        <DetailPanel selection={selection} scores={scoresOf} onSelect={selectAndReveal} />
      </div>
    </section>
  );
});

// Every score of the trace, newest first (GET /api/v1/scores?trace_id=…, all pages).
async function loadScores(traceId: string, signal: AbortSignal): Promise<Score[]> {
  const scores: Score[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ trace_id: traceId, limit: '1000' });
    if (cursor !== null) params.set('cursor', cursor);
    const page: Page<Score> = await getJson<Page<Score>>(`/api/v1/scores?${params}`, signal);
    scores.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return scores;
}

interface LoadState {
  progress: LoadProgress | null; // what the view shows
  loaded: number; // observations fetched so far
  scores: Score[] | null;
  error: Error | null;
}

// Shows the first page of the trace's observations at once and loads the rest in the background
// (paging.ts); the scores load beside them.
export function TraceViewPage({ traceId }: { traceId: string }) {
  const pageSize = pageSizeFrom(useLocation().search);
  const [state, setState] = useState<LoadState>({ progress: null, loaded: 0, scores: null, error: null });
  const full = useMemo(
    () => new FullObservations((id) => getJson<Observation>(observationPath(traceId, id))), [traceId]);
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setState({ progress: null, loaded: 0, scores: null, error: null });
    const fail = (error: Error) => { if (!signal.aborted) setState((s) => ({ ...s, error })); };
    loadAllPages(
      (cursor) => getJson<ObservationPage>(observationsPath(traceId, pageSize, cursor), signal),
      new TraceModelBuilder<ObservationSummary>(kMinRepeat),
      (progress) => setState((s) => ({ ...s, progress })),
      (loaded) => setState((s) => ({ ...s, loaded })),
      signal,
    ).catch(fail);
    loadScores(traceId, signal).then((scores) => { if (!signal.aborted) setState((s) => ({ ...s, scores })); }, fail);
    return () => controller.abort();
  }, [traceId, pageSize]);

  const { progress, loaded, scores, error } = state;
  if (progress === null || scores === null) {
    return error ? <Problem error={error} /> : <p className="loading">Loading trace…</p>;
  }
  const total = progress.trace.counts.observations;
  return (
    <>
      {!progress.done && !error && (
        <p className="loading trace-progress" role="status">
          Loading {loaded.toLocaleString('en-US')} / {total.toLocaleString('en-US')} spans…
        </p>
      )}
      {error && <p className="trace-progress bad" role="alert">Stopped loading at {loaded.toLocaleString('en-US')} spans: {error.message}</p>}
      <TraceView key={traceId} trace={progress.trace} model={progress.model} scores={scores} full={full} />
    </>
  );
}
