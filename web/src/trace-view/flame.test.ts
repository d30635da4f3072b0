import { describe, expect, it } from 'vitest';
import { buildTree } from './tree';
import { frameAt, kMinFramePx, layoutFlame, visibleFrames, zoomTo, type FlameInput } from './flame';

const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
function obs(id: string, parent: string | null, ms: number, dur: number, tokens = 0, cost = 0): FlameInput {
  return {
    id, parent_id: parent, start_time: t(ms), end_time: t(ms + dur), latency_ms: dur,
    usage: { total_tokens: tokens }, cost: { total: cost },
  };
}

// root (1000 ms) → plan (200 ms, 100 tok), act (500 ms) → llm (400 ms, 300 tok, $0.3)
const sample = () => buildTree([
  obs('root', null, 0, 1000),
  obs('plan', 'root', 0, 200, 100, 0.1),
  obs('act', 'root', 300, 500),
  obs('llm', 'act', 300, 400, 300, 0.3),
]);
const frameOf = (layout: ReturnType<typeof layoutFlame>, id: string) =>
  layout.frames.find((f) => f.node.obs.id === id)!;
const round = (x: number) => Math.round(x * 1e9) / 1e9;
const edges = (layout: ReturnType<typeof layoutFlame>, id: string) => {
  const frame = frameOf(layout, id);
  return [round(frame.x0), round(frame.x1)];
};

describe('layoutFlame', () => {
  it('sizes frames by time and places children side by side from the parent left edge', () => {
    const layout = layoutFlame(sample(), 'time');
    expect(layout.total).toBe(1000);
    expect(edges(layout, 'root')).toEqual([0, 1]);
    expect(edges(layout, 'plan')).toEqual([0, 0.2]);
    expect(edges(layout, 'act')).toEqual([0.2, 0.7]);
    expect(edges(layout, 'llm')).toEqual([0.2, 0.6]);
    expect(layout.maxDepth).toBe(2);
  });

  it('weights by tokens with wrappers as wide as what they contain', () => {
    const layout = layoutFlame(sample(), 'tokens');
    expect(layout.total).toBe(400);
    expect(edges(layout, 'plan')).toEqual([0, 0.25]);
    expect(edges(layout, 'act')).toEqual([0.25, 1]);
    expect(edges(layout, 'llm')).toEqual([0.25, 1]);
  });

  it('weights by cost', () => {
    const layout = layoutFlame(sample(), 'cost');
    expect(layout.total).toBeCloseTo(0.4);
    const [x0, x1] = edges(layout, 'llm');
    expect(x1 - x0).toBeCloseTo(0.75);
  });

  it('makes a parent of parallel children as wide as the children together', () => {
    const tree = buildTree([obs('r', null, 0, 100), obs('a', 'r', 0, 100), obs('b', 'r', 0, 100)]);
    const layout = layoutFlame(tree, 'time');
    expect(layout.total).toBe(200);
    expect(edges(layout, 'b')).toEqual([0.5, 1]);
  });

  it('has nothing to show when no step carries the weight', () => {
    const layout = layoutFlame(buildTree([obs('r', null, 0, 5)]), 'cost');
    expect(layout.total).toBe(0);
    expect(layout.maxDepth).toBe(-1);
    expect(visibleFrames(layout, { x0: 0, x1: 1, widthPx: 800, firstDepth: 0, lastDepth: 10 })).toEqual([]);
  });

  it('lays out a 100k-deep chain without recursion', () => {
    const chain = Array.from({ length: 100_000 }, (_, i) => obs(`n${i}`, i ? `n${i - 1}` : null, i, 100_000 - i));
    const layout = layoutFlame(buildTree(chain), 'time');
    expect(layout.maxDepth).toBe(99_999);
    const drawn = visibleFrames(layout, { x0: 0, x1: 1, widthPx: 1000, firstDepth: 500, lastDepth: 520 });
    expect(drawn.map((d) => d.depth)).toEqual(Array.from({ length: 21 }, (_, i) => 500 + i));
  });
});

describe('visibleFrames', () => {
  it('draws a run of frames narrower than a pixel as one block and nothing under them', () => {
    const fan = [obs('r', null, 0, 200_000),
      ...Array.from({ length: 100_000 }, (_, i) => obs(`k${i}`, 'r', i, 1)),
      obs('big', 'r', 100_000, 100_000),
      obs('deep', 'k0', 0, 1)];
    const layout = layoutFlame(buildTree(fan), 'time');
    const drawn = visibleFrames(layout, { x0: 0, x1: 1, widthPx: 1000, firstDepth: 0, lastDepth: 100 });
    expect(drawn.map((d) => [d.frame?.node.obs.id ?? 'run', d.count, Math.round(d.xPx), Math.round(d.wPx)])).toEqual([
      ['r', 1, 0, 1000], ['run', 100_000, 0, 500], ['big', 1, 500, 500],
    ]);
    for (const d of drawn) expect(d.wPx).toBeGreaterThanOrEqual(kMinFramePx);
    const zoom = zoomTo(drawn[1]);
    expect([zoom.x0, round(zoom.x1)]).toEqual([0, 0.5]);
  });

  it('shows a zoomed frame across the whole width and clips its ancestors to the view', () => {
    const layout = layoutFlame(sample(), 'time');
    const act = frameOf(layout, 'act');
    const drawn = visibleFrames(layout, { ...zoomTo(act), widthPx: 500, firstDepth: 0, lastDepth: 5 });
    expect(drawn.map((d) => [d.frame?.node.obs.id, d.xPx, Math.round(d.wPx)])).toEqual([
      ['root', 0, 500], ['act', 0, 500], ['llm', 0, 400],
    ]);
  });

  it('finds the frame under a point', () => {
    const layout = layoutFlame(sample(), 'time');
    const drawn = visibleFrames(layout, { x0: 0, x1: 1, widthPx: 1000, firstDepth: 0, lastDepth: 5 });
    expect(frameAt(drawn, 100, 1)?.frame?.node.obs.id).toBe('plan');
    expect(frameAt(drawn, 650, 1)?.frame?.node.obs.id).toBe('act');
    expect(frameAt(drawn, 650, 2)).toBeNull();
    expect(frameAt(drawn, 950, 1)).toBeNull();
  });
});

describe('zoomTo', () => {
  it('falls back to the whole graph', () => {
    expect(zoomTo(null)).toEqual({ x0: 0, x1: 1 });
  });
});
