// Flame graph layout over the trace tree, weighted by time, tokens or cost, and the culling that
// keeps drawing a 100k-span trace cheap. Pure and iterative (a 100k-deep chain is fine).
//
// Our own layout rather than d3-flame-graph: that library wants a nested {name, value, children}
// copy of the tree, renders one SVG element per frame (100k DOM nodes freeze the page) and owns
// its click handling, while here every frame is a TreeNode the other views already select, and
// the canvas draws only what `visibleFrames` returns (at most a few per pixel column and row).
//
// Widths: a frame is as wide as the larger of its own value and its children's together, so
// children always fit under their parent, side by side in start order. For tokens and cost a
// wrapper span that repeats its model call's usage then is exactly as wide as that call; for
// time, parallel children make a parent wider than its own duration (their durations add up).

import type { TraceTree, TreeInput, TreeNode } from './tree';

export type FlameWeight = 'time' | 'tokens' | 'cost';

export interface FlameInput extends TreeInput {
  latency_ms?: number | null;
  usage?: { total_tokens: number } | null;
  cost?: { total: number } | null;
}

export interface Frame<T extends FlameInput = FlameInput> {
  node: TreeNode<T>;
  x0: number; // left edge, a fraction of the whole graph (0..1)
  x1: number; // right edge
  depth: number;
  value: number; // inclusive: max(own, children's sum), in the weight's unit (ms, tokens, USD)
  self: number; // own value
  children: Frame<T>[];
}

export interface FlameLayout<T extends FlameInput = FlameInput> {
  roots: Frame<T>[];
  frames: Frame<T>[]; // every frame, breadth first (parents before children)
  total: number; // the roots' values together; 0 when nothing carries weight
  maxDepth: number; // deepest frame with a non-zero width; -1 when there is none
}

// A node's own weight; never negative or NaN.
export function ownValue(node: TreeNode<FlameInput>, weight: FlameWeight): number {
  const obs = node.obs;
  let v: number | null | undefined;
  if (weight === 'time') v = obs.latency_ms ?? (node.endUs - node.startUs) / 1000;
  else if (weight === 'tokens') v = obs.usage?.total_tokens;
  else v = obs.cost?.total;
  return v != null && Number.isFinite(v) && v > 0 ? v : 0;
}

// Linear in the nodes. Frames are found by position in breadth-first order, not through maps
// keyed by node, which made a 100k-span layout several times slower.
export function layoutFlame<T extends FlameInput>(tree: TraceTree<T>, weight: FlameWeight): FlameLayout<T> {
  // Breadth-first order: every parent before its children, and a node's children side by side
  // from firstChild[its position].
  const order: TreeNode<T>[] = [...tree.roots];
  const parentAt: number[] = order.map(() => -1);
  const firstChild: number[] = [];
  for (let i = 0; i < order.length; i++) {
    firstChild.push(order.length);
    for (const child of order[i].children) {
      parentAt.push(i);
      order.push(child);
    }
  }
  const frames = order.map((node): Frame<T> => {
    const self = ownValue(node, weight);
    return { node, x0: 0, x1: 0, depth: node.depth, value: self, self, children: [] };
  });
  // Inclusive values bottom-up: children's sums, in reverse breadth-first order.
  const childSum = new Float64Array(frames.length);
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i];
    frame.value = Math.max(frame.self, childSum[i]);
    if (parentAt[i] >= 0) childSum[parentAt[i]] += frame.value;
  }
  const roots = frames.slice(0, tree.roots.length);
  const total = roots.reduce((sum, f) => sum + f.value, 0);

  // Positions top-down: children side by side from their parent's left edge.
  let maxDepth = -1;
  const scale = total > 0 ? 1 / total : 0;
  let x = 0;
  for (const root of roots) {
    root.x0 = x;
    x += root.value * scale;
    root.x1 = x;
  }
  frames.forEach((frame, i) => {
    if (frame.x1 > frame.x0) maxDepth = Math.max(maxDepth, frame.depth);
    frame.children = frames.slice(firstChild[i], firstChild[i] + frame.node.children.length);
    let cx = frame.x0;
    for (const c of frame.children) {
      c.x0 = cx;
      cx += c.value * scale;
      c.x1 = Math.min(cx, frame.x1); // rounding must not push a child past its parent
    }
  });
  return { roots, frames, total, maxDepth };
}

// The part of the graph in view: a horizontal range (fractions, zoom) and a range of depths.
export interface FlameView {
  x0: number;
  x1: number;
  widthPx: number;
  firstDepth: number;
  lastDepth: number; // inclusive
}

// A frame to draw, or (frame null) a run of adjacent sibling frames each too narrow to draw,
// drawn as one "× count" block so that many tiny steps do not vanish; clicking it zooms in.
export interface DrawnFrame<T extends FlameInput = FlameInput> {
  frame: Frame<T> | null;
  depth: number;
  count: number; // 1 for a frame, the number of frames in a run
  x0: number; // the run's or frame's extent, fractions of the whole graph
  x1: number;
  xPx: number; // clipped to the view
  wPx: number;
}

// Frames narrower than this are not drawn, nor is anything under them (a child is never wider
// than its parent), so a draw costs at most about widthPx / kMinFramePx frames per row.
export const kMinFramePx = 1;

// The frames to draw for `view`, parents before children.
export function visibleFrames<T extends FlameInput>(layout: FlameLayout<T>, view: FlameView): DrawnFrame<T>[] {
  const span = view.x1 - view.x0;
  if (!(span > 0) || view.widthPx <= 0) return [];
  const pxPerUnit = view.widthPx / span;
  const drawn: DrawnFrame<T>[] = [];
  const emit = (frame: Frame<T> | null, depth: number, count: number, x0: number, x1: number) => {
    if (depth < view.firstDepth || depth > view.lastDepth || x1 <= view.x0 || x0 >= view.x1) return;
    const left = Math.max(x0, view.x0);
    const right = Math.min(x1, view.x1);
    if ((right - left) * pxPerUnit < kMinFramePx) return;
    drawn.push({ frame, depth, count, x0, x1, xPx: (left - view.x0) * pxPerUnit, wPx: (right - left) * pxPerUnit });
  };
  // Siblings in order: wide ones are walked, runs of narrow ones become one block.
  const stack: Frame<T>[] = [];
  const visit = (siblings: Frame<T>[]) => {
    const wide: Frame<T>[] = [];
    let run: Frame<T>[] = [];
    const flush = () => {
      if (run.length > 0) emit(null, run[0].depth, run.length, run[0].x0, run[run.length - 1].x1);
      run = [];
    };
    for (const f of siblings) {
      if (!(f.x1 > f.x0) || f.x1 <= view.x0 || f.x0 >= view.x1) { flush(); continue; }
      if ((f.x1 - f.x0) * pxPerUnit < kMinFramePx) { run.push(f); continue; }
      flush();
      wide.push(f);
    }
    flush();
    for (let i = wide.length - 1; i >= 0; i--) stack.push(wide[i]);
  };
  visit(layout.roots);
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > view.lastDepth) continue;
    emit(frame, frame.depth, 1, frame.x0, frame.x1);
    visit(frame.children);
  }
  return drawn;
}

// The drawn frame or run under a point (x in px within the view, depth), or null.
export function frameAt<T extends FlameInput>(drawn: DrawnFrame<T>[], xPx: number, depth: number): DrawnFrame<T> | null {
  for (const d of drawn) {
    if (d.depth === depth && xPx >= d.xPx && xPx < d.xPx + d.wPx) return d;
  }
  return null;
}

// The horizontal range that zooms onto a frame or run (the whole graph for nothing).
export function zoomTo(extent: { x0: number; x1: number } | null): { x0: number; x1: number } {
  if (extent === null || !(extent.x1 > extent.x0)) return { x0: 0, x1: 1 };
  return { x0: extent.x0, x1: extent.x1 };
}
