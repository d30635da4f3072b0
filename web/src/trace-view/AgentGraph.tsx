// The agent graph: each distinct step one box, each caller → callee pair one arrow with its call
// count (graph.ts), laid out by dagre (graph_layout.ts) and drawn by React Flow (pan and zoom).
// Boxes are coloured by the step's own time (not in the steps it called) or its cost. Loaded on
// demand (React.lazy), so the trace view does not pay for React Flow until the tab is opened.
// The graph's builder (the trace model's, so it survives switching tabs) takes the spans it has
// not seen in slices of ~15 ms, one task each, until it has them all; meanwhile the previous
// graph (or "Building graph…") stays up.
import { Background, Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useState } from 'react';
import { formatCost, formatDurationMs, formatTokens } from '../shared/format';
import type { ObservationSummary } from '../shared/model';
import { Problem, TypeIcon } from '../shared/TypeIcon';
import { groupOf } from './fold';
import { heatColor, stepMetric, type AgentGraph as StepGraph, type GraphColorBy, type StepGraphBuilder, type StepNode } from './graph';
import { GraphLayouts, type LayoutInput, type Positions } from './graph_layout';
import type { TraceTree } from './tree';
import type { SelectedItem } from './TreeTimeline';

const kNodeWidthPx = 200;
const kNodeHeightPx = 58;

type StepData = { step: StepNode<ObservationSummary>; background: string; text: string; selected: boolean };
type StepFlowNode = Node<StepData, 'step'>;

function StepBox({ data }: NodeProps<StepFlowNode>) {
  const { step } = data;
  return (
    <div className={`graph-node${data.selected ? ' selected' : ''}${step.errors > 0 ? ' graph-node-error' : ''}`}
      style={{ background: data.background, color: data.text }}>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="graph-node-title">
        <TypeIcon type={step.type} /> <span className="graph-node-name" title={step.name}>{step.name}</span>
        {step.members.length > 1 && <span className="graph-node-count">× {step.members.length}</span>}
      </div>
      <div className="graph-node-meta">
        {formatDurationMs(step.totalMs)}
        {step.tokens > 0 && <> · {formatTokens(step.tokens)} tok</>}
        {step.cost > 0 && <> · {formatCost(step.cost)}</>}
        {step.errors > 0 && <> · {step.errors} err</>}
        {step.selfCalls > 0 && <> · ↻ {step.selfCalls}</>}
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

const kNodeTypes = { step: StepBox };

// Each slice of building the graph adds spans for about this long, this many at a time.
const kSliceMs = 15;
const kSliceSpans = 1000;

// dagre in a worker, started with the first layout; answers come back by request id.
let worker: Worker | null = null;
let nextRequest = 0;
const waiting = new Map<number, { resolve: (p: Positions) => void; reject: (e: Error) => void }>();
function layoutInWorker(graph: LayoutInput, widthPx: number, heightPx: number): Promise<Positions> {
  if (worker === null) {
    worker = new Worker(new URL('./graph_layout_worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<{ id: number; positions?: [string, { x: number; y: number }][]; error?: string }>) => {
      const { id, positions, error } = event.data;
      const request = waiting.get(id);
      waiting.delete(id);
      if (positions) request?.resolve(new Map(positions)); else request?.reject(new Error(error));
    };
    worker.onerror = (event) => {
      for (const request of waiting.values()) request.reject(new Error(`the graph layout worker failed: ${event.message}`));
      waiting.clear();
    };
  }
  const id = nextRequest++;
  worker.postMessage({ id, graph, widthPx, heightPx });
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

// Shared by every graph shown: redrawing a graph whose shape did not change lays out nothing.
const layouts = new GraphLayouts(layoutInWorker);

type LaidOut = { graph: StepGraph<ObservationSummary>; positions: Positions };

// The newest of the graphs given that has a layout, with it; null until the first is laid out.
function useLayout(graph: StepGraph<ObservationSummary>): { laidOut: LaidOut | null; error: Error | null } {
  const [laidOut, setLaidOut] = useState<LaidOut | null>(() => {
    const positions = layouts.cached(graph, kNodeWidthPx, kNodeHeightPx);
    return positions ? { graph, positions } : null;
  });
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    let live = true;
    layouts.layout(graph, kNodeWidthPx, kNodeHeightPx).then(
      (positions) => { if (live) setLaidOut({ graph, positions }); },
      (e: Error) => { if (live) setError(e); },
    );
    return () => { live = false; };
  }, [graph]);
  const cached = layouts.cached(graph, kNodeWidthPx, kNodeHeightPx);
  return { laidOut: cached ? { graph, positions: cached } : laidOut, error };
}

// The graph of `tree` from `steps`, built a slice per task; null until the first is ready.
function useStepGraph(tree: TraceTree<ObservationSummary>, steps: StepGraphBuilder<ObservationSummary>) {
  const [graph, setGraph] = useState<StepGraph<ObservationSummary> | null>(() => (steps.behind(tree) ? null : steps.graph()));
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const slice = () => {
      const started = performance.now();
      let done = false;
      while (!done && performance.now() - started < kSliceMs) done = steps.advance(tree, kSliceSpans);
      if (done) setGraph(steps.graph()); else timer = setTimeout(slice, 0);
    };
    // In a task of its own, not the one that drew the new snapshot.
    timer = setTimeout(slice, 0);
    return () => clearTimeout(timer);
  }, [tree, steps]);
  return graph;
}

interface Props {
  tree: TraceTree<ObservationSummary>;
  steps: StepGraphBuilder<ObservationSummary>; // of the model `tree` is a snapshot of
  selected: SelectedItem;
  onSelect: (item: SelectedItem) => void;
}

export default function AgentGraph({ tree, steps, selected, onSelect }: Props) {
  const graph = useStepGraph(tree, steps);
  return graph === null
    ? <p className="loading">Building graph…</p>
    : <LaidOutGraph graph={graph} selected={selected} onSelect={onSelect} />;
}

type ViewProps = Omit<Props, 'tree' | 'steps'>;

function LaidOutGraph({ graph, ...props }: ViewProps & { graph: StepGraph<ObservationSummary> }) {
  const { laidOut, error } = useLayout(graph);
  if (error) return <Problem error={error} />;
  return laidOut === null
    ? <p className="loading">Laying out graph…</p>
    : <StepGraphView graph={laidOut.graph} positions={laidOut.positions} {...props} />;
}

function StepGraphView({ graph, positions, selected, onSelect }: ViewProps & { graph: StepGraph<ObservationSummary>; positions: Positions }) {
  const [colorBy, setColorBy] = useState<GraphColorBy>('latency');

  const selectedSteps = useMemo(() => {
    const members = selected === null ? [] : 'kind' in selected ? selected.members : [selected];
    return new Set(members.map((m) => graph.stepOf(m)?.id));
  }, [graph, selected]);
  const max = graph.nodes.reduce((m, step) => Math.max(m, stepMetric(step, colorBy)), 0);
  const nodes: StepFlowNode[] = useMemo(() => graph.nodes.map((step) => {
    const heat = heatColor(stepMetric(step, colorBy), max);
    return {
      id: step.id, type: 'step', position: positions.get(step.id)!,
      data: { step, background: heat.background, text: heat.text, selected: selectedSteps.has(step.id) },
      width: kNodeWidthPx, height: kNodeHeightPx,
    };
  }), [graph, positions, colorBy, max, selectedSteps]);
  const edges: Edge[] = useMemo(() => graph.edges.map((e) => ({
    id: e.id, source: e.source, target: e.target, label: e.count > 1 ? `× ${e.count}` : undefined,
    markerEnd: { type: MarkerType.ArrowClosed }, className: e.count > 1 ? 'graph-edge-repeated' : undefined,
  })), [graph]);

  const select = (step: StepNode<ObservationSummary>) =>
    onSelect(step.members.length === 1 ? step.members[0] : groupOf(step.members, `step:${step.id}`));

  return (
    <div className="agent-graph">
      <div className="view-toolbar">
        <span className="muted">Colour by</span>
        {(['latency', 'cost'] as const).map((by) => (
          <button key={by} className={by === colorBy ? 'active' : ''} aria-pressed={by === colorBy} onClick={() => setColorBy(by)}>
            {by === 'latency' ? 'Time' : 'Cost'}
          </button>
        ))}
        <span className="graph-legend"><span className="graph-legend-scale" /> most: {colorBy === 'latency' ? `${formatDurationMs(max)} own time` : formatCost(max)}</span>
        {graph.hidden > 0 && <span className="muted">{graph.hidden} steps with the least time not shown</span>}
      </div>
      <div className="graph-canvas">
        <ReactFlow nodes={nodes} edges={edges} nodeTypes={kNodeTypes} fitView minZoom={0.05}
          nodesDraggable={false} nodesConnectable={false} elementsSelectable={false}
          onNodeClick={(_, node) => select((node as StepFlowNode).data.step)}>
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
    </div>
  );
}
