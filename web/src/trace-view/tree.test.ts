import { describe, expect, it } from 'vitest';
import { buildTree, TreeBuilder, type TraceTree, type TreeInput } from './tree';

const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
function obs(id: string, parent: string | null, startMs = 0, endMs = startMs + 1): TreeInput {
  return { id, parent_id: parent, start_time: t(startMs), end_time: t(endMs) };
}
const ids = (nodes: { obs: TreeInput }[]) => nodes.map((n) => n.obs.id);
// Everything a view reads of a tree, as plain data.
const shape = (tree: TraceTree) => ({
  roots: ids(tree.roots),
  nodes: tree.nodes.map((n) => [n.obs.id, n.index, n.parent?.obs.id ?? null, ids(n.children), n.depth, n.rootReason]),
  startUs: tree.startUs, endUs: tree.endUs, orphans: tree.orphans, cycles: tree.cycles,
});
function snapshots(pages: TreeInput[][]): TraceTree[] {
  const builder = new TreeBuilder<TreeInput>();
  return pages.map((page) => {
    builder.add(page);
    return builder.snapshot();
  });
}

describe('buildTree', () => {
  it('links children to parents in start order whatever the input order', () => {
    const tree = buildTree([obs('c2', 'r', 5), obs('r', null, 0, 10), obs('c1', 'r', 1), obs('g', 'c1', 2)]);
    expect(ids(tree.roots)).toEqual(['r']);
    expect(ids(tree.roots[0].children)).toEqual(['c1', 'c2']);
    expect(tree.byId.get('g')!.depth).toBe(2);
    expect(tree.endUs - tree.startUs).toBe(10_000);
  });

  it('makes an observation with a missing parent an orphan root', () => {
    const tree = buildTree([obs('r', null), obs('lost', 'never-sent', 3), obs('kid', 'lost', 4)]);
    expect(ids(tree.roots)).toEqual(['r', 'lost']);
    expect(tree.byId.get('lost')!.rootReason).toBe('orphan');
    expect(tree.byId.get('kid')!.depth).toBe(1);
    expect(tree.orphans).toBe(1);
  });

  it('breaks a parent cycle into a root and keeps every node', () => {
    const tree = buildTree([obs('a', 'c'), obs('b', 'a', 1), obs('c', 'b', 2), obs('self', 'self', 3)]);
    expect(tree.cycles).toBe(2);
    expect(tree.roots).toHaveLength(2);
    const reachable = new Set<string>();
    const stack = [...tree.roots];
    while (stack.length) {
      const n = stack.pop()!;
      reachable.add(n.obs.id);
      stack.push(...n.children);
    }
    expect(reachable).toEqual(new Set(['a', 'b', 'c', 'self']));
    expect(tree.roots.every((r) => r.rootReason === 'cycle')).toBe(true);
  });

  it('keeps the first of two observations with one id and still shows both', () => {
    const tree = buildTree([obs('r', null), obs('x', 'r', 1), obs('x', 'r', 2)]);
    expect(tree.roots[0].children).toHaveLength(2);
    expect(tree.byId.get('x')!.startUs).toBe(tree.startUs + 1000);
  });

  it('treats an unended observation as zero length', () => {
    const tree = buildTree([{ id: 'r', parent_id: null, start_time: t(0), end_time: null }]);
    expect(tree.roots[0].endUs).toBe(tree.roots[0].startUs);
  });

  it('builds a 100k-deep chain and a 100k-wide fan without recursion', () => {
    const chain = Array.from({ length: 100_000 }, (_, i) => obs(`n${i}`, i ? `n${i - 1}` : null, i));
    const deep = buildTree(chain);
    expect(deep.byId.get('n99999')!.depth).toBe(99_999);
    const fan = [obs('r', null), ...Array.from({ length: 100_000 }, (_, i) => obs(`k${i}`, 'r', i % 97))];
    expect(buildTree(fan).roots[0].children).toHaveLength(100_000);
  });

  it('is empty for no observations', () => {
    const tree = buildTree([]);
    expect(tree.roots).toEqual([]);
    expect(tree.startUs).toBe(0);
  });
});

describe('TreeBuilder', () => {
  // Out of order, with orphans, a late parent, a duplicate id, a cycle and a self-parent.
  const messy = [
    obs('c2', 'r', 5), obs('g', 'c1', 2), obs('r', null, 0, 10), obs('lost', 'never-sent', 3),
    obs('c1', 'r', 1), obs('x', 'c2', 6), obs('x', 'c2', 7), obs('a', 'b', 8), obs('b', 'a', 9),
    obs('self', 'self', 4), obs('late', 'r', 0.5),
  ];

  it('builds the same tree whatever the pages the observations arrive in', () => {
    const whole = shape(buildTree(messy));
    for (const size of [1, 2, 3, 5]) {
      const pages = Array.from({ length: Math.ceil(messy.length / size) }, (_, i) => messy.slice(i * size, (i + 1) * size));
      const trees = snapshots(pages);
      expect(shape(trees[trees.length - 1])).toEqual(whole);
    }
    expect(whole.roots).toEqual(['r', 'lost', 'self', 'b']);
    expect(whole.orphans).toBe(1);
    expect(whole.cycles).toBe(2);
  });

  it('moves an orphan under its parent when the parent arrives in a later page', () => {
    const [before, after] = snapshots([[obs('kid', 'p', 2), obs('grandkid', 'kid', 3)], [obs('p', null, 1)]]);
    expect(ids(before.roots)).toEqual(['kid']);
    expect(before.orphans).toBe(1);
    expect(ids(after.roots)).toEqual(['p']);
    expect(after.orphans).toBe(0);
    const kid = after.byId.get('kid')!;
    expect(kid.rootReason).toBeNull();
    expect(kid.parent).toBe(after.byId.get('p'));
    expect(after.byId.get('grandkid')!.depth).toBe(2);
    // The earlier snapshot keeps its own roots and counts.
    expect(ids(before.roots)).toEqual(['kid']);
    expect(before.orphans).toBe(1);
  });

  it('breaks a parent cycle that a later page closes', () => {
    const [, after] = snapshots([[obs('a', 'b', 1)], [obs('b', 'a', 2)]]);
    expect(after.cycles).toBe(1);
    expect(after.orphans).toBe(0);
    expect(ids(after.roots)).toEqual(['b']);
    expect(after.roots[0].rootReason).toBe('cycle');
    expect(ids(after.roots[0].children)).toEqual(['a']);
  });

  it('keeps each node object across snapshots and says which parents changed', () => {
    const [first, second, third] = snapshots([
      [obs('r', null, 0, 10), obs('a', 'r', 1)],
      [obs('b', 'r', 2), obs('a1', 'a', 3)],
      [],
    ]);
    expect(first.changed).toEqual(new Set([null, first.byId.get('r')]));
    expect(second.changed).toEqual(new Set([second.byId.get('r'), second.byId.get('a')]));
    expect(third.changed.size).toBe(0);
    expect(second.byId.get('r')).toBe(first.roots[0]);
    expect(ids(first.nodes)).toEqual(['r', 'a']);
    expect(ids(second.roots[0].children)).toEqual(['a', 'b']);
  });
});

