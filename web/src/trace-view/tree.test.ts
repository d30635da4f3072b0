import { describe, expect, it } from 'vitest';
import { buildTree, type TreeInput } from './tree';

const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
function obs(id: string, parent: string | null, startMs = 0, endMs = startMs + 1): TreeInput {
  return { id, parent_id: parent, start_time: t(startMs), end_time: t(endMs) };
}
const ids = (nodes: { obs: TreeInput }[]) => nodes.map((n) => n.obs.id);

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
