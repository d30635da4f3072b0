// The agent graph of one trace: each distinct step (type, name and model, as the tree folds them)
// is one node however often it ran, and each caller → callee pair is one edge with the number
// of calls, so an agent loop that calls "search" 412 times is one edge "× 412". Built from the
// tree in one pass; laid out top-down by dagre (callers above callees). Pure.

import dagre from '@dagrejs/dagre';
import { isError, stepKey, type FoldInput } from './fold';
import type { TraceTree, TreeNode } from './tree';

export interface StepNode<T extends FoldInput = FoldInput> {
  id: string; // "s0", "s1" … in order of first appearance (breadth first)
  name: string;
  type: string;
  model: string | null;
  members: TreeNode<T>[]; // every run of the step, in start order
  totalMs: number; // the runs' durations together
  selfMs: number; // of that, time not spent in called steps (what the colour by time shows)
  tokens: number;
  cost: number;
  errors: number;
  selfCalls: number; // runs whose caller is the same step (recursion), shown on the node, not as an edge
}

export interface CallEdge {
  id: string;
  source: string;
  target: string;
  count: number;
}

export interface AgentGraph<T extends FoldInput = FoldInput> {
  nodes: StepNode<T>[];
  edges: CallEdge[];
  hidden: number; // steps left out beyond the limit (the ones with the least time)
  nodeOf: Map<TreeNode<T>, StepNode<T>>; // shown steps only
}

function durationMs(node: TreeNode<FoldInput>): number {
  const ms = node.obs.latency_ms ?? (node.endUs - node.startUs) / 1000;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

// A graph of more steps than `maxNodes` keeps the `maxNodes` steps with the most time (a layout
// of thousands of boxes is neither fast nor readable) and the edges between them.
export function buildAgentGraph<T extends FoldInput>(tree: TraceTree<T>, maxNodes = 200): AgentGraph<T> {
  const order: TreeNode<T>[] = [...tree.roots];
  for (let i = 0; i < order.length; i++) for (const child of order[i].children) order.push(child);

  const byKey = new Map<string, StepNode<T>>();
  const stepOf = new Map<TreeNode<T>, StepNode<T>>();
  for (const node of order) {
    const key = stepKey(node.obs);
    let step = byKey.get(key);
    if (step === undefined) {
      step = {
        id: `s${byKey.size}`, name: node.obs.name, type: node.obs.type, model: node.obs.model ?? null,
        members: [], totalMs: 0, selfMs: 0, tokens: 0, cost: 0, errors: 0, selfCalls: 0,
      };
      byKey.set(key, step);
    }
    step.members.push(node);
    step.totalMs += durationMs(node);
    step.selfMs += Math.max(0, durationMs(node) - node.children.reduce((sum, c) => sum + durationMs(c), 0));
    step.tokens += node.obs.usage?.total_tokens ?? 0;
    step.cost += node.obs.cost?.total ?? 0;
    if (isError(node.obs)) step.errors++;
    stepOf.set(node, step);
  }
  for (const step of byKey.values()) step.members.sort((a, b) => a.startUs - b.startUs);

  let nodes = [...byKey.values()];
  let hidden = 0;
  if (nodes.length > maxNodes) {
    const kept = new Set([...nodes].sort((a, b) => b.totalMs - a.totalMs).slice(0, maxNodes));
    hidden = nodes.length - kept.size;
    nodes = nodes.filter((n) => kept.has(n));
  }
  const shown = new Set(nodes);

  const edgesByPair = new Map<string, CallEdge>();
  for (const node of order) {
    if (node.parent === null) continue;
    const caller = stepOf.get(node.parent)!;
    const callee = stepOf.get(node)!;
    if (!shown.has(caller) || !shown.has(callee)) continue;
    if (caller === callee) {
      callee.selfCalls++;
      continue;
    }
    const id = `${caller.id}>${callee.id}`;
    const edge = edgesByPair.get(id);
    if (edge) edge.count++; else edgesByPair.set(id, { id, source: caller.id, target: callee.id, count: 1 });
  }

  const nodeOf = new Map<TreeNode<T>, StepNode<T>>();
  for (const [treeNode, step] of stepOf) if (shown.has(step)) nodeOf.set(treeNode, step);
  return { nodes, edges: [...edgesByPair.values()], hidden, nodeOf };
}

export type GraphColorBy = 'latency' | 'cost';

// Time colours by own time: by total time every caller would be at least as hot as its callees
// and the root always the hottest.
export function stepMetric(step: StepNode, by: GraphColorBy): number {
  return by === 'latency' ? step.selfMs : step.cost;
}

// A heat colour for `value` out of `max`: pale yellow (none) to red (the most), with a text
// colour that stays readable on it.
export function heatColor(value: number, max: number): { background: string; text: string } {
  const t = max > 0 && value > 0 ? Math.min(1, value / max) : 0;
  const hue = Math.round(50 - 50 * t);
  const lightness = Math.round(92 - 40 * t);
  return { background: `hsl(${hue}, 85%, ${lightness}%)`, text: lightness > 66 ? '#1d2330' : '#fff' };
}

// Top-left positions of the nodes (all `widthPx` × `heightPx`), callers above their callees.
export function layoutGraph(
  graph: Pick<AgentGraph, 'nodes' | 'edges'>, widthPx: number, heightPx: number,
): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 60 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width: widthPx, height: heightPx });
  for (const edge of graph.edges) g.setEdge(edge.source, edge.target);
  dagre.layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const node of graph.nodes) {
    const { x, y } = g.node(node.id);
    positions.set(node.id, { x: x - widthPx / 2, y: y - heightPx / 2 });
  }
  return positions;
}
