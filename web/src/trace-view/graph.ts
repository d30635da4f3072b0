// The agent graph of one trace: each distinct step (type, name and model, as the tree folds them)
// is one node however often it ran, and each caller → callee pair is one edge with the number
// of calls, so an agent loop that calls "search" 412 times is one edge "× 412". Built
// incrementally (StepGraphBuilder) from a trace's tree as its pages arrive, a slice at a time, so
// neither a loading trace nor opening the graph of a loaded 100k-span one blocks the page for
// long. Laid out by graph_layout.ts. Pure.

import { isError, stepKey, type FoldInput } from './fold';
import type { TraceTree, TreeNode } from './tree';

export interface StepNode<T extends FoldInput = FoldInput> {
  id: string; // "s0", "s1" … in order of first appearance in the input; stable while a trace loads
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
  nodes: StepNode<T>[]; // in order of id
  edges: CallEdge[];
  hidden: number; // steps left out beyond the limit (the ones with the least time)
  stepOf: (node: TreeNode<T>) => StepNode<T> | undefined; // the shown step a node of the graph runs
}

function durationMs(node: TreeNode<FoldInput>): number {
  const ms = node.obs.latency_ms ?? (node.endUs - node.startUs) / 1000;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

// One step's running totals inside the builder.
interface StepTotals<T extends FoldInput> {
  index: number; // position in first appearance order (the id's number)
  first: T; // its first run, for the name, type and model
  members: TreeNode<T>[]; // in the order added
  sorted: boolean; // members are in start order
  totalMs: number;
  selfMs: number;
  tokens: number;
  cost: number;
  errors: number;
  selfCalls: number;
  callees: Map<StepTotals<T>, number>; // called step → number of calls, in order of first call
}

// The `count` steps with the most time, then the earliest first: one pass keeping the best so far
// in order (most steps are rejected against the last kept one at once).
function mostTime<T extends FoldInput>(steps: readonly StepTotals<T>[], count: number): StepTotals<T>[] {
  const kept: StepTotals<T>[] = [];
  const before = (a: StepTotals<T>, b: StepTotals<T>) => a.totalMs > b.totalMs || (a.totalMs === b.totalMs && a.index < b.index);
  for (const step of steps) {
    if (kept.length === count && !before(step, kept[count - 1])) continue;
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(kept[mid], step)) lo = mid + 1; else hi = mid;
    }
    kept.splice(lo, 0, step);
    if (kept.length > count) kept.pop();
  }
  return kept;
}

// Not thread-safe. The agent graph of the observations of one TreeBuilder's snapshots (all fed
// to one builder: later snapshots only add nodes), built as they are fed: `advance` takes the
// nodes a snapshot added since the last call, a bounded number per call, so a caller can spread a
// large trace over several tasks; `graph` costs time in the number of steps (not observations)
// and returns the same object while nothing was added. A node whose parent arrives in a later
// page counts as a root until then, as in the tree.
export class StepGraphBuilder<T extends FoldInput> {
  private readonly steps: StepTotals<T>[] = [];
  private readonly byKey = new Map<string, StepTotals<T>>();
  // By node index (TreeNode.index): the node's step, its children's time counted so far, and the
  // own time it adds to its step.
  private readonly stepAt: StepTotals<T>[] = [];
  private readonly childMsAt: number[] = [];
  private readonly selfMsAt: number[] = [];
  private roots: TreeNode<T>[] = []; // added without a parent: an orphan may get one later
  private added = 0; // tree.nodes[0, added) are in the graph
  private last: { graph: AgentGraph<T>; maxNodes: number } | null = null; // null: changed since

  // Adds at most `maxNodes` of the nodes of `tree` not added yet, in input order; true once all of
  // them are in.
  advance(tree: TraceTree<T>, maxNodes = Infinity): boolean {
    const end = Math.min(tree.nodes.length, this.added + maxNodes);
    if (this.added < end) this.last = null;
    for (; this.added < end; this.added++) this.addNode(tree.nodes[this.added]);
    if (this.added < tree.nodes.length) return false;
    // Orphans whose parent has come in since.
    const waiting = this.roots;
    this.roots = [];
    for (const node of waiting) {
      if (node.parent !== null && node.parent.index < this.added) {
        this.linkToParent(node);
        this.last = null;
      } else {
        this.roots.push(node);
      }
    }
    return true;
  }

  // Whether `tree` has nodes not added yet.
  behind(tree: TraceTree<T>): boolean {
    return this.added < tree.nodes.length;
  }

  // The graph of the nodes added so far. More steps than `maxNodes` keep the `maxNodes` steps with
  // the most time (a layout of thousands of boxes is neither fast nor readable) and the edges
  // between them.
  graph(maxNodes = 200): AgentGraph<T> {
    if (this.last !== null && this.last.maxNodes === maxNodes) return this.last.graph;
    const kept = this.steps.length > maxNodes ? mostTime(this.steps, maxNodes).sort((a, b) => a.index - b.index) : this.steps;
    const shown = new Map<StepTotals<T>, StepNode<T>>();
    for (const step of kept) {
      if (!step.sorted) {
        step.members.sort((a, b) => a.startUs - b.startUs);
        step.sorted = true;
      }
      shown.set(step, {
        id: `s${step.index}`, name: step.first.name, type: step.first.type, model: step.first.model ?? null,
        members: step.members.slice(), totalMs: step.totalMs, selfMs: step.selfMs, tokens: step.tokens,
        cost: step.cost, errors: step.errors, selfCalls: step.selfCalls,
      });
    }
    const edges: CallEdge[] = [];
    for (const [step, source] of shown) {
      for (const [callee, count] of step.callees) {
        const target = shown.get(callee);
        if (target !== undefined) edges.push({ id: `${source.id}>${target.id}`, source: source.id, target: target.id, count });
      }
    }
    const stepAt = this.stepAt;
    const added = this.added;
    const graph: AgentGraph<T> = {
      nodes: [...shown.values()], edges, hidden: this.steps.length - kept.length,
      stepOf: (node) => (node.index < added && stepAt[node.index] !== undefined ? shown.get(stepAt[node.index]) : undefined),
    };
    this.last = { graph, maxNodes };
    return graph;
  }

  private addNode(node: TreeNode<T>): void {
    const key = stepKey(node.obs);
    let step = this.byKey.get(key);
    if (step === undefined) {
      step = {
        index: this.steps.length, first: node.obs, members: [], sorted: true, totalMs: 0, selfMs: 0,
        tokens: 0, cost: 0, errors: 0, selfCalls: 0, callees: new Map(),
      };
      this.byKey.set(key, step);
      this.steps.push(step);
    }
    const last = step.members[step.members.length - 1];
    if (last !== undefined && last.startUs > node.startUs) step.sorted = false;
    step.members.push(node);
    const ms = durationMs(node);
    step.totalMs += ms;
    step.selfMs += ms;
    step.tokens += node.obs.usage?.total_tokens ?? 0;
    step.cost += node.obs.cost?.total ?? 0;
    if (isError(node.obs)) step.errors++;
    this.stepAt[node.index] = step;
    this.childMsAt[node.index] = 0;
    this.selfMsAt[node.index] = ms;
    // A node's parent comes before it in the input unless the node came as an orphan (a root).
    if (node.parent !== null && node.parent.index < node.index) this.linkToParent(node);
    else this.roots.push(node);
  }

  // Counts `node`'s call from its parent (added already) and takes its time off the parent's own.
  private linkToParent(node: TreeNode<T>): void {
    const parent = node.parent!;
    const caller = this.stepAt[parent.index];
    const callee = this.stepAt[node.index];
    this.childMsAt[parent.index] += durationMs(node);
    const selfMs = Math.max(0, durationMs(parent) - this.childMsAt[parent.index]);
    caller.selfMs += selfMs - this.selfMsAt[parent.index];
    this.selfMsAt[parent.index] = selfMs;
    if (caller === callee) caller.selfCalls++;
    else caller.callees.set(callee, (caller.callees.get(callee) ?? 0) + 1);
  }
}

// The graph of a whole tree at once.
export function buildAgentGraph<T extends FoldInput>(tree: TraceTree<T>, maxNodes = 200): AgentGraph<T> {
  const builder = new StepGraphBuilder<T>();
  builder.advance(tree);
  return builder.graph(maxNodes);
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
