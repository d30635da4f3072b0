// Builds the observation tree of one trace, once per trace (the view model every panel reads).
// Iterative throughout, so a 100k-deep chain cannot overflow the stack. Never throws on bad
// input: an observation whose parent is missing (an orphan: its parent was never sent, or not
// yet) or whose parent chain loops (a cycle: only a broken client sends one) becomes a root,
// marked so the UI can say why.

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
  parent: TreeNode<T> | null;
  children: TreeNode<T>[];
  depth: number;
  startUs: number;
  endUs: number; // = startUs when the observation has not ended
  // Why this node is a root although it names a parent; null for real roots and non-roots.
  rootReason: RootReason;
}

export interface TraceTree<T extends TreeInput = TreeInput> {
  roots: TreeNode<T>[];
  nodes: TreeNode<T>[]; // in input order
  byId: Map<string, TreeNode<T>>; // the first observation of each id
  startUs: number; // earliest start (0 for an empty trace)
  endUs: number; // latest end
  orphans: number;
  cycles: number;
}

function byStart<T extends TreeInput>(a: TreeNode<T>, b: TreeNode<T>): number {
  if (a.startUs !== b.startUs) return a.startUs - b.startUs;
  return a.obs.id < b.obs.id ? -1 : a.obs.id > b.obs.id ? 1 : 0;
}

export function buildTree<T extends TreeInput>(observations: readonly T[]): TraceTree<T> {
  const nodes: TreeNode<T>[] = observations.map((obs) => {
    const start = parseTimeUs(obs.start_time);
    const startUs = Number.isNaN(start) ? 0 : start;
    const end = parseTimeUs(obs.end_time);
    return {
      obs, parent: null, children: [], depth: 0, startUs,
      endUs: Number.isNaN(end) || end < startUs ? startUs : end, rootReason: null,
    };
  });
  const byId = new Map<string, TreeNode<T>>();
  for (const node of nodes) if (!byId.has(node.obs.id)) byId.set(node.obs.id, node);

  // Parent pointers first; a missing parent makes an orphan root.
  let orphans = 0;
  for (const node of nodes) {
    const parentId = node.obs.parent_id;
    if (parentId == null || parentId === '') continue;
    const parent = byId.get(parentId);
    if (parent === undefined) {
      node.rootReason = 'orphan';
      orphans++;
    } else {
      node.parent = parent;
    }
  }

  // Cycles: walk up from every node; meeting a node of the current walk closes a loop, which is
  // broken by making that node a root. Each node is walked once (0 new, 1 on the walk, 2 done).
  let cycles = 0;
  const state = new Map<TreeNode<T>, 1 | 2>();
  const walk: TreeNode<T>[] = [];
  for (const start of nodes) {
    let node: TreeNode<T> | null = start;
    while (node !== null && !state.has(node)) {
      state.set(node, 1);
      walk.push(node);
      node = node.parent;
    }
    if (node !== null && state.get(node) === 1) {
      node.parent = null;
      node.rootReason = 'cycle';
      cycles++;
    }
    for (const done of walk) state.set(done, 2);
    walk.length = 0;
  }

  const roots: TreeNode<T>[] = [];
  for (const node of nodes) (node.parent === null ? roots : node.parent.children).push(node);
  roots.sort(byStart);

  // Depths and child order, breadth first.
  let startUs = Infinity;
  let endUs = -Infinity;
  const queue = [...roots];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    startUs = Math.min(startUs, node.startUs);
    endUs = Math.max(endUs, node.endUs);
    node.children.sort(byStart);
    for (const child of node.children) {
      child.depth = node.depth + 1;
      queue.push(child);
    }
  }
  if (nodes.length === 0) startUs = endUs = 0;
  return { roots, nodes, byId, startUs, endUs, orphans, cycles };
}
