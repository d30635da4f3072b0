import { describe, expect, it } from 'vitest';
import { buildTree, TreeBuilder } from './tree';
import type { FoldInput } from './fold';
import { buildAgentGraph, heatColor, StepGraphBuilder, stepMetric, type AgentGraph } from './graph';

const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
function obs(id: string, parent: string | null, name: string, type: string,
  { ms = 0, dur = 10, cost = 0, status = 'ok', model = null as string | null } = {}): FoldInput {
  return {
    id, parent_id: parent, name, type, status, model, start_time: t(ms), end_time: t(ms + dur), latency_ms: dur,
    usage: { total_tokens: cost > 0 ? 100 : 0 }, cost: { total: cost },
  };
}

// agent → (llm, search) × 3, then llm; search #2 fails.
function agentLoop() {
  const list = [obs('root', null, 'agent', 'agent', { dur: 1000 })];
  for (let i = 0; i < 3; i++) {
    list.push(obs(`llm${i}`, 'root', 'chat', 'generation', { ms: i * 100, dur: 50, cost: 0.01, model: 'gpt-4o' }));
    list.push(obs(`tool${i}`, 'root', 'search', 'tool', { ms: i * 100 + 50, dur: 20, status: i === 1 ? 'error' : 'ok' }));
  }
  list.push(obs('llm3', 'root', 'chat', 'generation', { ms: 900, dur: 50, cost: 0.01, model: 'gpt-4o' }));
  return buildTree(list);
}

describe('buildAgentGraph', () => {
  it('makes one node per distinct step and one counted edge per caller and callee', () => {
    const graph = buildAgentGraph(agentLoop());
    expect(graph.nodes.map((n) => [n.name, n.members.length])).toEqual([['agent', 1], ['chat', 4], ['search', 3]]);
    expect(graph.edges.map((e) => [e.source, e.target, e.count])).toEqual([['s0', 's1', 4], ['s0', 's2', 3]]);
    expect(graph.hidden).toBe(0);
  });

  it('sums time, tokens, cost and errors per step', () => {
    const [, chat, search] = buildAgentGraph(agentLoop()).nodes;
    expect(chat).toMatchObject({ totalMs: 200, tokens: 400, errors: 0, model: 'gpt-4o' });
    expect(chat.cost).toBeCloseTo(0.04);
    expect(search).toMatchObject({ totalMs: 60, errors: 1 });
  });

  it('counts as own time only what a step did not spend in the steps it called', () => {
    const [agent, chat] = buildAgentGraph(agentLoop()).nodes;
    expect(agent.selfMs).toBe(1000 - 200 - 60);
    expect(chat.selfMs).toBe(200);
    expect(stepMetric(agent, 'latency')).toBe(740);
  });

  it('maps every observation to its step', () => {
    const tree = agentLoop();
    const graph = buildAgentGraph(tree);
    expect(graph.stepOf(tree.byId.get('tool2')!)?.name).toBe('search');
  });

  it('keeps steps of the same name apart when the type or model differs', () => {
    const tree = buildTree([
      obs('r', null, 'run', 'span'),
      obs('a', 'r', 'chat', 'generation', { model: 'gpt-4o' }),
      obs('b', 'r', 'chat', 'generation', { model: 'claude' }),
      obs('c', 'r', 'chat', 'tool'),
    ]);
    expect(buildAgentGraph(tree).nodes).toHaveLength(4);
  });

  it('counts recursion on the node instead of a self edge', () => {
    const tree = buildTree([obs('a', null, 'plan', 'agent'), obs('b', 'a', 'plan', 'agent'), obs('c', 'b', 'plan', 'agent')]);
    const graph = buildAgentGraph(tree);
    expect(graph.nodes).toHaveLength(1);
    expect(graph.nodes[0].selfCalls).toBe(2);
    expect(graph.edges).toEqual([]);
  });

  it('keeps the steps with the most time beyond the limit', () => {
    const list = [obs('r', null, 'root', 'agent', { dur: 10_000 })];
    for (let i = 0; i < 500; i++) list.push(obs(`k${i}`, 'r', `step-${i}`, 'tool', { dur: i }));
    const graph = buildAgentGraph(buildTree(list), 3);
    expect(graph.nodes.map((n) => n.name)).toEqual(['root', 'step-498', 'step-499']);
    expect(graph.hidden).toBe(498);
    expect(graph.edges.map((e) => e.count)).toEqual([1, 1]);
    const tree = buildTree(list);
    const limited = buildAgentGraph(tree, 3);
    expect(limited.stepOf(tree.byId.get('k499')!)?.name).toBe('step-499');
    expect(limited.stepOf(tree.byId.get('k0')!)).toBeUndefined();
  });

  it('builds the graph of 100k calls of one tool as two nodes', () => {
    const list = [obs('r', null, 'root', 'agent')];
    for (let i = 0; i < 100_000; i++) list.push(obs(`k${i}`, 'r', 'search', 'tool', { ms: i % 1000 }));
    const graph = buildAgentGraph(buildTree(list));
    expect(graph.edges).toEqual([{ id: 's0>s1', source: 's0', target: 's1', count: 100_000 }]);
  });
});

// What the graph shows, by step name rather than id (ids follow the input order).
function shown(graph: AgentGraph) {
  const name = new Map(graph.nodes.map((n) => [n.id, n.name]));
  return {
    nodes: graph.nodes.map((n) => ({ ...n, id: undefined, members: n.members.map((m) => m.obs.id) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    edges: graph.edges.map((e) => `${name.get(e.source)} > ${name.get(e.target)} × ${e.count}`).sort(),
    hidden: graph.hidden,
  };
}

describe('StepGraphBuilder', () => {
  // root → turns; each turn → chat, search (→ fetch); one turn recurses into a sub-turn.
  function loop(turns: number) {
    const list = [obs('root', null, 'agent', 'agent', { dur: turns * 100 })];
    for (let i = 0; i < turns; i++) {
      list.push(obs(`turn${i}`, 'root', 'turn', 'chain', { ms: i * 100, dur: 90 }));
      list.push(obs(`chat${i}`, `turn${i}`, 'chat', 'generation', { ms: i * 100 + 1, dur: 30 + (i % 7), cost: 0.01 }));
      list.push(obs(`search${i}`, `turn${i}`, 'search', 'tool', { ms: i * 100 + 40, dur: 20, status: i % 5 ? 'ok' : 'error' }));
      list.push(obs(`fetch${i}`, `search${i}`, 'fetch', 'tool', { ms: i * 100 + 41, dur: 10 }));
    }
    list.push(obs('sub', 'turn3', 'turn', 'chain', { ms: 370, dur: 5 }));
    return list;
  }

  it('builds from pages, a few nodes at a time, the graph it builds from the whole trace', () => {
    const list = loop(40);
    // Pages out of order: children arrive before their parents, as orphans.
    const pages = [list.slice(100), list.slice(30, 100), list.slice(0, 30)];
    const tree = new TreeBuilder<FoldInput>();
    const steps = new StepGraphBuilder<FoldInput>();
    for (const page of pages) {
      tree.add(page);
      const snapshot = tree.snapshot();
      while (!steps.advance(snapshot, 7)) expect(steps.behind(snapshot)).toBe(true);
      expect(steps.behind(snapshot)).toBe(false);
    }
    const incremental = shown(steps.graph());
    const whole = shown(buildAgentGraph(buildTree(list)));
    expect(incremental.edges).toEqual(whole.edges);
    expect(incremental.edges).toContain('turn > chat × 40');
    expect(incremental.nodes.map((n) => n.name)).toEqual(whole.nodes.map((n) => n.name));
    for (const [i, node] of incremental.nodes.entries()) {
      const { selfMs, totalMs, cost, ...exact } = node;
      const { selfMs: wholeSelfMs, totalMs: wholeTotalMs, cost: wholeCost, ...wholeExact } = whole.nodes[i];
      expect(exact).toEqual(wholeExact); // members, tokens, errors, self calls
      expect(selfMs).toBeCloseTo(wholeSelfMs); // sums taken in another order
      expect(totalMs).toBeCloseTo(wholeTotalMs);
      expect(cost).toBeCloseTo(wholeCost);
    }
  });

  it('moves an orphan under its parent once the parent arrives, taking its time off the parent', () => {
    const tree = new TreeBuilder<FoldInput>();
    const steps = new StepGraphBuilder<FoldInput>();
    tree.add([obs('c', 'p', 'search', 'tool', { dur: 30 })]);
    steps.advance(tree.snapshot());
    expect(steps.graph().edges).toEqual([]);
    tree.add([obs('p', null, 'agent', 'agent', { dur: 100 })]);
    steps.advance(tree.snapshot());
    const graph = steps.graph();
    expect(graph.edges.map((e) => e.count)).toEqual([1]);
    expect(graph.nodes.map((n) => [n.name, n.selfMs])).toEqual([['search', 30], ['agent', 70]]);
  });

  it('returns the same graph until more nodes are added', () => {
    const tree = new TreeBuilder<FoldInput>();
    const steps = new StepGraphBuilder<FoldInput>();
    tree.add(loop(3));
    steps.advance(tree.snapshot());
    const first = steps.graph();
    steps.advance(tree.snapshot());
    expect(steps.graph()).toBe(first);
    expect(steps.graph(2)).not.toBe(first);
    tree.add([obs('late', 'root', 'review', 'tool')]);
    steps.advance(tree.snapshot());
    const second = steps.graph();
    expect(second).not.toBe(first);
    expect(second.nodes.map((n) => n.name)).toEqual([...first.nodes.map((n) => n.name), 'review']);
    expect(first.nodes.map((n) => n.name)).not.toContain('review');
  });
});

describe('heatColor', () => {
  it('goes from pale to red with readable text', () => {
    expect(heatColor(0, 10)).toEqual({ background: 'hsl(50, 85%, 92%)', text: '#1d2330' });
    expect(heatColor(10, 10)).toEqual({ background: 'hsl(0, 85%, 52%)', text: '#fff' });
    expect(heatColor(5, 0).background).toBe('hsl(50, 85%, 92%)');
  });
});
