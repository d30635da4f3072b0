// The agent graph's layout (graph.ts builds the graph): top-down by dagre, callers above their
// callees, the last layout reused while the graph's shape stays the same. The view runs dagre in
// a worker (graph_layout_worker.ts): a few hundred boxes take it ~100 ms. Apart from graph.ts so
// the trace view's main bundle, which feeds the graph's builder, does not carry dagre. Pure.

import dagre from '@dagrejs/dagre';

// Top-left positions of the nodes (all `widthPx` × `heightPx`), callers above their callees.
export function layoutGraph(
  graph: LayoutInput, widthPx: number, heightPx: number,
): Positions {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 60 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width: widthPx, height: heightPx });
  for (const edge of graph.edges) g.setEdge(edge.source, edge.target);
  dagre.layout(g);
  const positions: Positions = new Map();
  for (const node of graph.nodes) {
    const { x, y } = g.node(node.id);
    positions.set(node.id, { x: x - widthPx / 2, y: y - heightPx / 2 });
  }
  return positions;
}

export type Positions = Map<string, { x: number; y: number }>;

// What a layout reads of a graph (ids only, so it can be posted to a worker).
export interface LayoutInput {
  nodes: { id: string }[];
  edges: { id: string; source: string; target: string }[];
}

// The part of `graph` a layout reads.
export function layoutInput(graph: LayoutInput): LayoutInput {
  return {
    nodes: graph.nodes.map(({ id }) => ({ id })),
    edges: graph.edges.map(({ id, source, target }) => ({ id, source, target })),
  };
}

// Not thread-safe. Layouts made by `run` (layoutGraph, here or in a worker), reusing the last one
// while the graph's shape (its nodes and edges, not their figures) and the box size stay the same:
// a loading trace's graph mostly keeps its steps while their figures grow, and a graph drawn again
// lays out nothing.
export class GraphLayouts {
  private shape = '';
  private pending: Promise<Positions> | null = null;
  private done: Positions | null = null;

  constructor(private readonly run: (graph: LayoutInput, widthPx: number, heightPx: number) => Promise<Positions>) {}

  // The layout of `graph` if one of the same shape is the last one made, else undefined.
  cached(graph: LayoutInput, widthPx: number, heightPx: number): Positions | undefined {
    return this.shape === shapeOf(graph, widthPx, heightPx) && this.done !== null ? this.done : undefined;
  }

  layout(graph: LayoutInput, widthPx: number, heightPx: number): Promise<Positions> {
    const shape = shapeOf(graph, widthPx, heightPx);
    if (shape !== this.shape || this.pending === null) {
      this.shape = shape;
      this.done = null;
      const pending = this.run(layoutInput(graph), widthPx, heightPx);
      this.pending = pending;
      pending.then((positions) => { if (this.pending === pending) this.done = positions; },
        () => { if (this.pending === pending) { this.pending = null; this.shape = ''; } });
    }
    return this.pending;
  }
}

function shapeOf(graph: LayoutInput, widthPx: number, heightPx: number): string {
  return `${widthPx}x${heightPx}|${graph.nodes.map((n) => n.id).join()}|${graph.edges.map((e) => e.id).join()}`;
}
