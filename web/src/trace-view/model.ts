// The view model of one trace (its tree and the tree's folding), kept up to date while the trace
// arrives in pages: adding a page costs time in the page, and a snapshot time in what changed
// since the previous one (plus copying the node list and the folding's map), never a rebuild of
// the whole trace. The agent graph is built only when it is shown: the snapshots carry its
// builder, which the graph view feeds. Framework-free.

import { foldTree, type FoldedTree, type FoldInput } from './fold';
import { StepGraphBuilder } from './graph';
import { TreeBuilder, type TraceTree } from './tree';

export interface TraceModel<T extends FoldInput = FoldInput> {
  tree: TraceTree<T>;
  folded: FoldedTree<T>; // foldTree of `tree`
  steps: StepGraphBuilder<T>; // the same for every snapshot of one builder; fed by whoever shows the graph
}

// Not thread-safe. Snapshots share their nodes (TraceTree says what stays fixed).
export class TraceModelBuilder<T extends FoldInput> {
  private readonly tree = new TreeBuilder<T>();
  private folded: FoldedTree<T> = new Map();
  private readonly steps = new StepGraphBuilder<T>();

  // Siblings that repeat at least `minRepeat` times fold into one row.
  constructor(private readonly minRepeat: number) {}

  add(observations: readonly T[]): void {
    this.tree.add(observations);
  }

  snapshot(): TraceModel<T> {
    const tree = this.tree.snapshot();
    this.folded = foldTree(tree, this.minRepeat, this.folded);
    return { tree, folded: this.folded, steps: this.steps };
  }
}
