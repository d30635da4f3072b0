// Builds the observation tree of one trace (the view model every panel reads), incrementally: a
// trace that arrives in pages is added a page at a time (TreeBuilder), each page costing time in
// its own size, and a snapshot sorts only the child lists that changed since the previous one
// (and copies the node list; after an orphan found its parent, it also redoes the depths), so
// following a 100k-span trace as it loads never rebuilds it from scratch. Iterative throughout,
// so a 100k-deep chain cannot overflow the stack. Never throws on bad input: an observation whose
// parent is missing (an orphan: its parent was never sent, or not yet) or whose parent chain
// loops (a cycle: only a broken client sends one) becomes a root, marked so the UI can say why;
// an orphan whose parent arrives later moves under it.

import { parseTimeUs } from '../shared/format';

export interface TreeInput {
  id: string;
  parent_id: string | null;
  start_time: string;
  end_time: string | null;
}

export type RootReason = 'orphan' | 'cycle' | null;

export interface TreeNode<T extends TreeInput = TreeInput> {
  obs: T;
  index: number; // position in the input order
  parent: TreeNode<T> | null;
  children: TreeNode<T>[];
  depth: number;
  startUs: number;
  endUs: number; // = startUs when the observation has not ended
  // Why this node is a root although it names a parent; null for real roots and non-roots.
  rootReason: RootReason;
}

// One snapshot of a TreeBuilder. Its own fields stay as they were taken; the nodes are shared
// with later snapshots of the same builder and updated in place by later adds (children added,
// an orphan moved under its parent, depths), and `byId` is the builder's own, growing map.
export interface TraceTree<T extends TreeInput = TreeInput> {
  roots: TreeNode<T>[];
  nodes: TreeNode<T>[]; // in input order
  byId: ReadonlyMap<string, TreeNode<T>>; // the first observation of each id
  startUs: number; // earliest start (0 for an empty trace)
  endUs: number; // latest end
  orphans: number;
  cycles: number;
  // The parents (null: the roots) whose children changed since the builder's previous snapshot:
  // for the first snapshot, the roots and every node with children. What folding redoes.
  changed: ReadonlySet<TreeNode<T> | null>;
}

function byStart<T extends TreeInput>(a: TreeNode<T>, b: TreeNode<T>): number {
  if (a.startUs !== b.startUs) return a.startUs - b.startUs;
  return a.obs.id < b.obs.id ? -1 : a.obs.id > b.obs.id ? 1 : 0;
}

function newNode<T extends TreeInput>(obs: T, index: number): TreeNode<T> {
  const start = parseTimeUs(obs.start_time);
  const startUs = Number.isNaN(start) ? 0 : start;
  const end = parseTimeUs(obs.end_time);
  return {
    obs, index, parent: null, children: [], depth: 0, startUs,
    endUs: Number.isNaN(end) || end < startUs ? startUs : end, rootReason: null,
  };
}

// Whether `ancestor` is `node` or above it.
function isAncestorOrSelf<T extends TreeInput>(ancestor: TreeNode<T>, node: TreeNode<T>): boolean {
  for (let n: TreeNode<T> | null = node; n !== null; n = n.parent) if (n === ancestor) return true;
  return false;
}

// Not thread-safe (one loader adds, the view reads snapshots). The tree of the observations
// added so far, in any order: children and roots in start order, whatever order pages come in.
export class TreeBuilder<T extends TreeInput> {
  private readonly nodes: TreeNode<T>[] = [];
  private readonly byId = new Map<string, TreeNode<T>>();
  private roots: TreeNode<T>[] = [];
  private readonly waiting = new Map<string, TreeNode<T>[]>(); // missing parent id → its orphans
  private changed = new Set<TreeNode<T> | null>([null]);
  // An orphan moved under its parent since the last snapshot: roots and depths need a pass.
  private moved = false;
  private orphans = 0;
  private cycles = 0;
  private startUs = Infinity;
  private endUs = -Infinity;

  add(observations: readonly T[]): void {
    for (const obs of observations) {
      const node = newNode(obs, this.nodes.length);
      this.nodes.push(node);
      this.startUs = Math.min(this.startUs, node.startUs);
      this.endUs = Math.max(this.endUs, node.endUs);
      if (!this.byId.has(obs.id)) {
        this.byId.set(obs.id, node);
        this.adoptOrphans(node);
      }
      this.link(node);
    }
  }

  // Children arrive appended; each snapshot sorts the lists that changed (nearly sorted, as pages
  // come in start order, which the engine's sort handles in about linear time).
  snapshot(): TraceTree<T> {
    if (this.moved) {
      this.roots = this.roots.filter((n) => n.parent === null);
      const queue = [...this.roots];
      for (let i = 0; i < queue.length; i++) {
        for (const child of queue[i].children) {
          child.depth = queue[i].depth + 1;
          queue.push(child);
        }
      }
      this.moved = false;
    }
    for (const parent of this.changed) (parent === null ? this.roots : parent.children).sort(byStart);
    const empty = this.nodes.length === 0;
    const tree: TraceTree<T> = {
      roots: this.roots.slice(), nodes: this.nodes.slice(), byId: this.byId,
      startUs: empty ? 0 : this.startUs, endUs: empty ? 0 : this.endUs,
      orphans: this.orphans, cycles: this.cycles, changed: this.changed,
    };
    this.changed = new Set();
    return tree;
  }

  // The orphans that named `node`'s id as their parent move under it.
  private adoptOrphans(node: TreeNode<T>): void {
    const orphans = this.waiting.get(node.obs.id);
    if (orphans === undefined) return;
    this.waiting.delete(node.obs.id);
    this.orphans -= orphans.length;
    for (const orphan of orphans) {
      orphan.parent = node;
      orphan.rootReason = null;
      node.children.push(orphan);
    }
    this.changed.add(node).add(null);
    this.moved = true;
  }

  private link(node: TreeNode<T>): void {
    const parentId = node.obs.parent_id;
    let parent: TreeNode<T> | null = null;
    if (parentId != null && parentId !== '') {
      parent = this.byId.get(parentId) ?? null;
      if (parent === null) {
        node.rootReason = 'orphan';
        this.orphans++;
        const siblings = this.waiting.get(parentId);
        if (siblings) siblings.push(node); else this.waiting.set(parentId, [node]);
      } else if (parent === node || (node.children.length > 0 && isAncestorOrSelf(node, parent))) {
        // A loop can only close through a node that already has children (orphans that arrived
        // before it), so the walk up is rare; it breaks the loop here, making this node a root.
        node.rootReason = 'cycle';
        this.cycles++;
        parent = null;
      }
    }
    node.parent = parent;
    node.depth = parent === null ? 0 : parent.depth + 1;
    (parent === null ? this.roots : parent.children).push(node);
    this.changed.add(parent);
  }
}

// The tree of a whole trace at once.
export function buildTree<T extends TreeInput>(observations: readonly T[]): TraceTree<T> {
  const builder = new TreeBuilder<T>();
  builder.add(observations);
  return builder.snapshot();
}
