import { describe, expect, it } from 'vitest';
import { GraphLayouts, layoutGraph } from './graph_layout';

const node = (id: string) => ({ id });
const edge = (source: string, target: string) => ({ id: `${source}>${target}`, source, target, count: 1 });
// s0 calls s1 and s2.
const fork = { nodes: [node('s0'), node('s1'), node('s2')], edges: [edge('s0', 's1'), edge('s0', 's2')] };

describe('layoutGraph', () => {
  it('puts callers above their callees without overlaps', () => {
    const pos = layoutGraph(fork, 180, 50);
    expect(pos.get('s0')!.y).toBeLessThan(pos.get('s1')!.y);
    expect(pos.get('s1')!.y).toBe(pos.get('s2')!.y);
    expect(Math.abs(pos.get('s1')!.x - pos.get('s2')!.x)).toBeGreaterThanOrEqual(180);
  });
});

describe('GraphLayouts', () => {
  it('lays out again only when the nodes, the edges or the box size change', async () => {
    const runs: string[] = [];
    const layouts = new GraphLayouts(async (graph, widthPx, heightPx) => {
      runs.push(graph.edges.map((e) => e.id).join());
      return layoutGraph(graph, widthPx, heightPx);
    });
    expect(layouts.cached(fork, 180, 50)).toBeUndefined();
    const first = await layouts.layout(fork, 180, 50);
    expect(layouts.cached({ nodes: [...fork.nodes], edges: [...fork.edges] }, 180, 50)).toBe(first);
    expect(await layouts.layout({ nodes: [...fork.nodes], edges: [...fork.edges] }, 180, 50)).toBe(first);
    const chain = { nodes: fork.nodes, edges: [edge('s0', 's1'), edge('s1', 's2')] };
    expect(layouts.cached(chain, 180, 50)).toBeUndefined();
    const second = await layouts.layout(chain, 180, 50);
    expect(second.get('s2')!.y).toBeGreaterThan(second.get('s1')!.y);
    expect(await layouts.layout(chain, 200, 50)).not.toBe(second);
    expect(runs).toEqual(['s0>s1,s0>s2', 's0>s1,s1>s2', 's0>s1,s1>s2']);
  });

  it('tries again after a layout failed', async () => {
    let fail = true;
    const layouts = new GraphLayouts(async (graph, w, h) => {
      if (fail) throw new Error('worker gone');
      return layoutGraph(graph, w, h);
    });
    await expect(layouts.layout(fork, 180, 50)).rejects.toThrow('worker gone');
    fail = false;
    expect((await layouts.layout(fork, 180, 50)).size).toBe(3);
  });
});
