// Folds repeated identical sibling steps ("tool search × 412, p95 1.2 s") and flattens the tree
// into the rows the tree/timeline list shows. Pure and iterative.

import { percentile } from '../shared/format';
import type { TraceTree, TreeInput, TreeNode } from './tree';

export interface FoldInput extends TreeInput {
  name: string;
  type: string;
  status: string;
  model?: string | null;
  latency_ms?: number | null;
  usage?: { total_tokens: number } | null;
  cost?: { total: number } | null;
}

// Siblings with the same step key are "identical steps".
export function stepKey(obs: FoldInput): string {
  return `${obs.type}\u0000${obs.name}\u0000${obs.model ?? ''}`;
}

export interface FoldGroup<T extends FoldInput = FoldInput> {
  kind: 'fold';
  id: string; // stable within the tree: the first member's position
  members: TreeNode<T>[]; // in start order
  name: string;
  type: string;
  p95Ms: number;
  totalTokens: number;
  totalCost: number;
  errors: number;
  startUs: number;
  endUs: number;
}

export type ChildItem<T extends FoldInput = FoldInput> = { kind: 'node'; node: TreeNode<T> } | FoldGroup<T>;

function durationMs(node: TreeNode<FoldInput>): number {
  return node.obs.latency_ms ?? (node.endUs - node.startUs) / 1000;
}

export function isError(obs: { status: string; level?: string }): boolean {
  return obs.status === 'error' || obs.level === 'ERROR';
}

// `members` (in start order, at least one) summarized as one group: the folded row of the tree,
// or every call of one step in the agent graph.
export function groupOf<T extends FoldInput>(members: TreeNode<T>[], id: string): FoldGroup<T> {
  return {
    kind: 'fold',
    id,
    members,
    name: members[0].obs.name,
    type: members[0].obs.type,
    p95Ms: percentile(members.map(durationMs), 95),
    totalTokens: members.reduce((sum, m) => sum + (m.obs.usage?.total_tokens ?? 0), 0),
    totalCost: members.reduce((sum, m) => sum + (m.obs.cost?.total ?? 0), 0),
    errors: members.filter((m) => isError(m.obs)).length,
    // Loops, not Math.min(...spread): 100k arguments would overflow the stack.
    startUs: members.reduce((min, m) => Math.min(min, m.startUs), Infinity),
    endUs: members.reduce((max, m) => Math.max(max, m.endUs), -Infinity),
  };
}

// The children of one parent with every key that repeats at least `minRepeat` times folded into
// one group, placed where its first member was.
export function foldSiblings<T extends FoldInput>(
  siblings: TreeNode<T>[], minRepeat: number, groupIdPrefix: string,
): ChildItem<T>[] {
  if (siblings.length < minRepeat) return siblings.map((node) => ({ kind: 'node', node })); // nothing can repeat enough
  const byKey = new Map<string, TreeNode<T>[]>();
  for (const node of siblings) {
    const key = stepKey(node.obs);
    const list = byKey.get(key);
    if (list) list.push(node); else byKey.set(key, [node]);
  }
  const items: ChildItem<T>[] = [];
  for (const [index, node] of siblings.entries()) {
    const members = byKey.get(stepKey(node.obs))!;
    if (members.length < minRepeat) {
      items.push({ kind: 'node', node });
      continue;
    }
    if (members[0] !== node) continue; // the group sits at its first member
    items.push(groupOf(members, `${groupIdPrefix}/${index}`));
  }
  return items;
}

// The folding of a tree: parent (null for the roots) → its items.
export type FoldedTree<T extends FoldInput = FoldInput> = Map<TreeNode<T> | null, ChildItem<T>[]>;

// The folding of `tree`, given `previous`, the folding of the previous snapshot of the same
// TreeBuilder (none for the first snapshot or a tree from buildTree): only the parents whose
// children changed (tree.changed) are folded again, so following a loading trace costs time in
// what each page added. `previous` is not changed.
export function foldTree<T extends FoldInput>(
  tree: TraceTree<T>, minRepeat: number, previous: FoldedTree<T> = new Map(),
): FoldedTree<T> {
  const folded: FoldedTree<T> = new Map(previous);
  for (const parent of tree.changed) {
    if (parent === null) folded.set(null, foldSiblings(tree.roots, minRepeat, 'root'));
    else folded.set(parent, foldSiblings(parent.children, minRepeat, `n${parent.index}`));
  }
  return folded;
}

export type Row<T extends FoldInput = FoldInput> =
  | { kind: 'node'; node: TreeNode<T>; depth: number; expandable: boolean; expanded: boolean }
  | { kind: 'fold'; group: FoldGroup<T>; depth: number; expanded: boolean };

// The visible rows, depth first. Nodes are expanded unless in `collapsed`; fold groups are closed
// unless in `openFolds` (by group id). An open group lists its members as ordinary nodes.
export function visibleRows<T extends FoldInput>(
  folded: FoldedTree<T>, collapsed: ReadonlySet<TreeNode<T>>, openFolds: ReadonlySet<string>,
): Row<T>[] {
  const rows: Row<T>[] = [];
  type Pending = { item: ChildItem<T>; depth: number };
  const stack: Pending[] = [];
  const pushItems = (items: ChildItem<T>[], depth: number) => {
    for (let i = items.length - 1; i >= 0; i--) stack.push({ item: items[i], depth });
  };
  pushItems(folded.get(null) ?? [], 0);
  while (stack.length > 0) {
    const { item, depth } = stack.pop()!;
    if (item.kind === 'fold') {
      const expanded = openFolds.has(item.id);
      rows.push({ kind: 'fold', group: item, depth, expanded });
      if (expanded) pushItems(item.members.map((node) => ({ kind: 'node' as const, node })), depth + 1);
      continue;
    }
    const children = folded.get(item.node);
    const expandable = children !== undefined;
    const expanded = expandable && !collapsed.has(item.node);
    rows.push({ kind: 'node', node: item.node, depth, expandable, expanded });
    if (expanded) pushItems(children!, depth + 1);
  }
  return rows;
}

// Which fold group each folded node belongs to, computed once per folding.
export function foldIndex<T extends FoldInput>(folded: FoldedTree<T>): Map<TreeNode<T>, FoldGroup<T>> {
  const index = new Map<TreeNode<T>, FoldGroup<T>>();
  for (const items of folded.values()) {
    for (const item of items) if (item.kind === 'fold') for (const m of item.members) index.set(m, item);
  }
  return index;
}

// What must open for `node` to be a visible row (when another view selects it): its ancestors
// that are collapsed, and the fold groups holding it or an ancestor.
export function revealNode<T extends FoldInput>(
  node: TreeNode<T>, foldOf: ReadonlyMap<TreeNode<T>, FoldGroup<T>>, collapsed: ReadonlySet<TreeNode<T>>,
): { expand: TreeNode<T>[]; openFolds: string[] } {
  const expand: TreeNode<T>[] = [];
  const openFolds: string[] = [];
  for (let n: TreeNode<T> | null = node; n !== null; n = n.parent) {
    if (n !== node && collapsed.has(n)) expand.push(n);
    const group = foldOf.get(n);
    if (group) openFolds.push(group.id);
  }
  return { expand, openFolds };
}
