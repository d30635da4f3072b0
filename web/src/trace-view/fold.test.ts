import { describe, expect, it } from 'vitest';
import { buildTree, TreeBuilder } from './tree';
import { foldIndex, foldTree, revealNode, visibleRows, type FoldInput, type Row } from './fold';

const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
function obs(id: string, parent: string | null, name: string, opts: Partial<FoldInput> & { ms?: number; dur?: number } = {}): FoldInput {
  const ms = opts.ms ?? 0;
  const dur = opts.dur ?? 1;
  return {
    id, parent_id: parent, name, type: opts.type ?? 'tool', status: opts.status ?? 'ok',
    start_time: t(ms), end_time: t(ms + dur), latency_ms: dur,
    usage: { total_tokens: 10 }, cost: { total: 0.5 }, model: opts.model ?? null,
  };
}
const label = (row: Row) => (row.kind === 'fold' ? `${row.group.name}×${row.group.members.length}` : row.node.obs.id);

// An agent loop: root → (llm, search) × 5 interleaved, then a final answer.
function agentLoop() {
  const list = [obs('root', null, 'agent', { type: 'agent', dur: 100 })];
  for (let i = 0; i < 5; i++) {
    list.push(obs(`llm${i}`, 'root', 'chat', { type: 'generation', ms: i * 10 }));
    list.push(obs(`tool${i}`, 'root', 'search', { ms: i * 10 + 5, dur: (i + 1) * 100, status: i === 4 ? 'error' : 'ok' }));
  }
  list.push(obs('answer', 'root', 'final', { type: 'generation', ms: 90 }));
  return buildTree(list);
}

describe('foldTree', () => {
  it('folds siblings that repeat at least minRepeat times into one group at the first one', () => {
    const folded = foldTree(agentLoop(), 5);
    const rows = visibleRows(folded, new Set(), new Set());
    expect(rows.map(label)).toEqual(['root', 'chat×5', 'search×5', 'answer']);
    const search = rows[2];
    if (search.kind !== 'fold') throw new Error('not folded');
    expect(search.group.p95Ms).toBe(500);
    expect(search.group.totalTokens).toBe(50);
    expect(search.group.totalCost).toBeCloseTo(2.5);
    expect(search.group.errors).toBe(1);
  });

  it('leaves steps that repeat less often alone', () => {
    const rows = visibleRows(foldTree(agentLoop(), 6), new Set(), new Set());
    expect(rows).toHaveLength(12);
  });

  it('does not fold steps of the same name but another model', () => {
    const tree = buildTree([
      obs('r', null, 'root', { type: 'span' }),
      ...[0, 1, 2].map((i) => obs(`a${i}`, 'r', 'chat', { type: 'generation', model: 'gpt-4o', ms: i })),
      ...[0, 1, 2].map((i) => obs(`b${i}`, 'r', 'chat', { type: 'generation', model: 'claude', ms: 10 + i })),
    ]);
    expect(visibleRows(foldTree(tree, 3), new Set(), new Set()).map(label)).toEqual(['r', 'chat×3', 'chat×3']);
  });
});

describe('foldTree of a growing tree', () => {
  it('folds again only the parents that changed and matches folding the whole tree', () => {
    const list = [obs('root', null, 'agent', { type: 'agent', dur: 100 }), obs('plan', 'root', 'plan', { ms: 1 })];
    for (let i = 0; i < 6; i++) list.push(obs(`tool${i}`, 'root', 'search', { ms: 10 + i }));
    list.push(obs('sub', 'plan', 'think', { ms: 2 }));
    const builder = new TreeBuilder<FoldInput>();
    builder.add(list.slice(0, 5)); // root, plan, three searches: nothing repeats 5 times yet
    const first = foldTree(builder.snapshot(), 5);
    const firstRows = visibleRows(first, new Set(), new Set()).map(label);
    expect(firstRows).toEqual(['root', 'plan', 'tool0', 'tool1', 'tool2']);
    builder.add(list.slice(5));
    const second = builder.snapshot();
    const grown = foldTree(second, 5, first);
    const whole = foldTree(buildTree(list), 5);
    const rows = visibleRows(grown, new Set(), new Set());
    expect(rows.map(label)).toEqual(['root', 'plan', 'sub', 'search×6']);
    expect(rows.map(label)).toEqual(visibleRows(whole, new Set(), new Set()).map(label));
    // The group's id is the one a whole folding gives it (the parent's position, then the first member's).
    expect(rows[3].kind === 'fold' && rows[3].group.id).toBe('n0/1');
    // The earlier folding is left as it was.
    expect(visibleRows(first, new Set(), new Set()).map(label)).toEqual(firstRows);
    // The parents no page touched keep their items.
    expect(grown.get(null)).toBe(first.get(null));
  });
});

describe('visibleRows', () => {
  it('lists an open group as its members one level deeper', () => {
    const folded = foldTree(agentLoop(), 5);
    const closed = visibleRows(folded, new Set(), new Set());
    const searchId = closed[2].kind === 'fold' ? closed[2].group.id : '';
    const open = visibleRows(folded, new Set(), new Set([searchId]));
    expect(open.map(label)).toEqual(['root', 'chat×5', 'search×5', 'tool0', 'tool1', 'tool2', 'tool3', 'tool4', 'answer']);
    expect(open[3].depth).toBe(2);
  });

  it('hides the children of a collapsed node', () => {
    const tree = agentLoop();
    const rows = visibleRows(foldTree(tree, 5), new Set([tree.roots[0]]), new Set());
    expect(rows.map(label)).toEqual(['root']);
    expect(rows[0]).toMatchObject({ expandable: true, expanded: false });
  });

  it('folds 100k identical siblings into one row', () => {
    const fan = [obs('r', null, 'root', { type: 'agent' }),
      ...Array.from({ length: 100_000 }, (_, i) => obs(`k${i}`, 'r', 'search', { ms: i % 1000, dur: i % 7 }))];
    const rows = visibleRows(foldTree(buildTree(fan), 5), new Set(), new Set());
    expect(rows.map(label)).toEqual(['r', 'search×100000']);
  });

  it('flattens a 100k-deep chain', () => {
    const chain = Array.from({ length: 100_000 }, (_, i) => obs(`n${i}`, i ? `n${i - 1}` : null, 'step', { ms: i }));
    const rows = visibleRows(foldTree(buildTree(chain), 5), new Set(), new Set());
    expect(rows).toHaveLength(100_000);
    expect(rows[99_999].depth).toBe(99_999);
  });
});

describe('revealNode', () => {
  it('opens the collapsed ancestors and the fold group of a node selected elsewhere', () => {
    const tree = agentLoop();
    const folded = foldTree(tree, 5);
    const foldOf = foldIndex(folded);
    const root = tree.roots[0];
    const tool3 = tree.byId.get('tool3')!;
    const { expand, openFolds } = revealNode(tool3, foldOf, new Set([root]));
    expect(expand).toEqual([root]);
    expect(openFolds).toEqual([foldOf.get(tool3)!.id]);
    const rows = visibleRows(folded, new Set(), new Set(openFolds));
    expect(rows.some((r) => r.kind === 'node' && r.node === tool3)).toBe(true);
  });

  it('has nothing to open for a visible node', () => {
    const tree = agentLoop();
    const foldOf = foldIndex(foldTree(tree, 5));
    expect(revealNode(tree.byId.get('answer')!, foldOf, new Set())).toEqual({ expand: [], openFolds: [] });
  });
});
