import { describe, expect, it } from 'vitest';
import type { Observation, ObservationPage, ObservationSummary, Trace } from '../shared/model';
import { TraceModelBuilder } from './model';
import { FullObservations, loadAllPages, observationsPath, pageSizeFrom, shouldPublish, type LoadProgress } from './paging';

const trace = { id: 't', counts: { observations: 10 } } as Trace;
const summary = (id: string) => ({
  id, parent_id: null, name: id, type: 'span', status: 'ok', start_time: '2026-01-01T00:00:00.000000Z', end_time: null,
}) as ObservationSummary;
const model = () => new TraceModelBuilder<ObservationSummary>(5);

// A server of `count` observations in pages of `size`; the first page carries the trace.
function pagesOf(count: number, size: number) {
  const requested: (string | null)[] = [];
  const fetchPage = async (cursor: string | null): Promise<ObservationPage> => {
    requested.push(cursor);
    const start = cursor === null ? 0 : Number(cursor);
    const end = Math.min(count, start + size);
    const data = Array.from({ length: end - start }, (_, i) => summary(`o${start + i}`));
    return { data, next_cursor: end < count ? String(end) : null, ...(cursor === null ? { trace } : {}) };
  };
  return { fetchPage, requested };
}

describe('pageSizeFrom', () => {
  it('takes page_size within 1..1000 and otherwise the largest page', () => {
    expect(pageSizeFrom('?page_size=50')).toBe(50);
    expect(pageSizeFrom('')).toBe(1000);
    for (const bad of ['?page_size=0', '?page_size=1001', '?page_size=2.5', '?page_size=x']) expect(pageSizeFrom(bad)).toBe(1000);
  });
});

describe('observationsPath', () => {
  it('asks for summaries and escapes the trace id and cursor', () => {
    expect(observationsPath('a/b', 10, null)).toBe('/api/v1/traces/a%2Fb/observations?fields=summary&limit=10');
    expect(observationsPath('t', 10, 'x+y=')).toBe('/api/v1/traces/t/observations?fields=summary&limit=10&cursor=x%2By%3D');
  });
});

describe('shouldPublish', () => {
  it('publishes when the loaded count has doubled, and at the end', () => {
    expect(shouldPublish(1999, 1000, false)).toBe(false);
    expect(shouldPublish(2000, 1000, false)).toBe(true);
    expect(shouldPublish(1001, 1000, true)).toBe(true);
  });
});

describe('loadAllPages', () => {
  it('follows the cursor to the end and publishes the first page, doublings and the whole trace', async () => {
    const { fetchPage, requested } = pagesOf(10, 1);
    const published: LoadProgress[] = [];
    const loaded: number[] = [];
    await loadAllPages(fetchPage, model(), (p) => published.push(p), (n) => loaded.push(n), new AbortController().signal);
    expect(requested).toEqual([null, '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(loaded).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(published.map((p) => p.model.tree.nodes.length)).toEqual([1, 2, 4, 8, 10]);
    expect(published.map((p) => p.done)).toEqual([false, false, false, false, true]);
    const last = published[published.length - 1];
    expect(last.trace).toBe(trace);
    expect(last.model.tree.roots.map((n) => n.obs.id)).toEqual(Array.from({ length: 10 }, (_, i) => `o${i}`));
    expect(last.model.folded.get(null)).toHaveLength(10);
    // Each published snapshot stays as it was when later pages arrive.
    expect(published[0].model.tree.roots).toHaveLength(1);
    expect(published[0].model.folded.get(null)).toHaveLength(1);
  });

  it('publishes a one-page trace once, done', async () => {
    const { fetchPage } = pagesOf(3, 1000);
    const published: LoadProgress[] = [];
    await loadAllPages(fetchPage, model(), (p) => published.push(p), () => undefined, new AbortController().signal);
    expect(published.map((p) => [p.model.tree.nodes.length, p.done])).toEqual([[3, true]]);
  });

  it('stops quietly once aborted', async () => {
    const { fetchPage, requested } = pagesOf(10, 1);
    const controller = new AbortController();
    const published: LoadProgress[] = [];
    await loadAllPages(fetchPage, model(), (p) => { published.push(p); controller.abort(); }, () => undefined, controller.signal);
    expect(requested).toEqual([null, '1']);
    expect(published).toHaveLength(1);
  });

  it('rejects when a page fails or the first page has no trace', async () => {
    const failing = async (cursor: string | null): Promise<ObservationPage> => {
      if (cursor === null) return { data: [summary('a')], next_cursor: 'x', trace };
      throw new Error('HTTP 500');
    };
    await expect(loadAllPages(failing, model(), () => undefined, () => undefined, new AbortController().signal)).rejects.toThrow('HTTP 500');
    const noTrace = async (): Promise<ObservationPage> => ({ data: [], next_cursor: null });
    await expect(loadAllPages(noTrace, model(), () => undefined, () => undefined, new AbortController().signal)).rejects.toThrow('no trace');
  });
});

describe('FullObservations', () => {
  it('fetches each observation once and retries one that failed', async () => {
    const calls: string[] = [];
    let fail = true;
    const full = new FullObservations(async (id) => {
      calls.push(id);
      if (id === 'bad' && fail) throw new Error('offline');
      return { id, input: 'question' } as Observation;
    });
    const [a, again] = await Promise.all([full.get('a'), full.get('a')]);
    expect(a).toBe(again);
    expect(a.input).toBe('question');
    await expect(full.get('bad')).rejects.toThrow('offline');
    fail = false;
    expect((await full.get('bad')).id).toBe('bad');
    expect(calls).toEqual(['a', 'bad', 'bad']);
  });
});
