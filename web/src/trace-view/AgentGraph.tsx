// The agent graph: each distinct step one box, each caller → callee pair one arrow with its call
// count (graph.ts), laid out by dagre and drawn by React Flow (pan and zoom). Boxes are coloured
// by the step's own time (not in the steps it called) or its cost. Loaded on demand (React.lazy), so the trace view does not
// pay for React Flow until the tab is opened.
import { Background, Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo, useState } from 'react';
import { formatCost, formatDurationMs, formatTokens } from '../shared/format';
import type { ObservationSummary } from '../shared/model';
import { TypeIcon } from '../shared/TypeIcon';
import { groupOf } from './fold';
import { buildAgentGraph, heatColor, layoutGraph, stepMetric, type GraphColorBy, type StepNode } from './graph';
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

interface Props {
  tree: TraceTree<ObservationSummary>;
  selected: SelectedItem;
  onSelect: (item: SelectedItem) => void;
}

export default function AgentGraph({ tree, selected, onSelect }: Props) {
  const graph = useMemo(() => buildAgentGraph(tree), [tree]);
  const positions = useMemo(() => layoutGraph(graph, kNodeWidthPx, kNodeHeightPx), [graph]);
  const [colorBy, setColorBy] = useState<GraphColorBy>('latency');

  const selectedSteps = useMemo(() => {
    const members = selected === null ? [] : 'kind' in selected ? selected.members : [selected];
    return new Set(members.map((m) => graph.nodeOf.get(m)?.id));
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
