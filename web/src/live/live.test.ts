import { describe, expect, it } from 'vitest';
import {
  addEntries, errorMayPass, followTail, liveFiltersToQuery, parseLiveFilters, retryDelayMs, tailPath,
  type TailAnswer, type TailEntry,
} from './live';

function entry(seq: number, id = `s${seq}`): TailEntry {
  return {
    seq, id, trace_id: 't', parent_id: null, trace_name: 'run', type: 'tool', name: `step ${seq}`, model: null,
    status: 'ok', level: 'DEFAULT', start_time: '2026-11-22T03:04:05.557000Z', end_time: null, latency_ms: null,
    usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 },
    cost: { total: 0, currency: 'USD' }, environment: null, release: null, user_id: null, session_id: null,
    input_preview: null, output_preview: null, update: false,
  };
}

const answer = (next: number, data: TailEntry[] = [], dropped = 0): TailAnswer => ({ data, next, dropped });

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

describe('filters', () => {
  it('keeps known non-empty filters in a fixed order', () => {
    const filters = parseLiveFilters(new URLSearchParams('?model=gpt-4o&x=1&name=%20chat%20&status='));
    expect(filters).toEqual({ model: 'gpt-4o', name: 'chat' });
    expect(liveFiltersToQuery(filters)).toBe('name=chat&model=gpt-4o');
  });
  it('asks from now without waiting, then after the last answer with a long wait', () => {
    expect(tailPath({ name: 'a b' }, null)).toBe('/api/v1/tail?wait_ms=0&limit=1000&name=a+b');
    expect(tailPath({}, 42)).toBe('/api/v1/tail?wait_ms=25000&limit=1000&after=42');
  });
});

describe('addEntries', () => {
  it('puts an answer on top newest first and keeps at most the limit', () => {
    let rows = addEntries([], [entry(1), entry(2)]);
    rows = addEntries(rows, [entry(3), entry(4)], 3);
    expect(rows.map((r) => r.entry.seq)).toEqual([4, 3, 2]);
  });
  it('gives rows distinct keys even when sequence numbers start again (a server restart)', () => {
    const rows = addEntries(addEntries([], [entry(1, 'a')]), [entry(1, 'b')]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(2);
  });
});

describe('retries', () => {
  it('doubles the pause up to 30 s', () => {
    expect([1, 2, 3, 5, 6, 10].map(retryDelayMs)).toEqual([1000, 2000, 4000, 16000, 30000, 30000]);
  });
  it('retries network errors, 429 and 5xx, not other 4xx', () => {
    expect(errorMayPass(new TypeError('fetch failed'))).toBe(true);
    expect([429, 500, 503].map((s) => errorMayPass(new HttpError(s, '')))).toEqual([true, true, true]);
    expect([400, 401, 403].map((s) => errorMayPass(new HttpError(s, '')))).toEqual([false, false, false]);
  });
});

describe('followTail', () => {
  // Runs the loop over scripted answers (an Error is thrown); aborts when the script ends.
  async function run(script: (TailAnswer | Error)[], after: number | null = null) {
    const controller = new AbortController();
    const paths: string[] = [];
    const answers: TailAnswer[] = [];
    const errors: [string, number | null][] = [];
    const pauses: number[] = [];
    const last = await followTail({
      filters: { type: 'tool' }, after, signal: controller.signal,
      fetch: async (path) => {
        paths.push(path);
        const next = script.shift();
        if (next === undefined) {
          controller.abort();
          throw new Error('aborted');
        }
        if (next instanceof Error) throw next;
        return next;
      },
      sleep: async (ms) => { pauses.push(ms); },
      onAnswer: (a) => answers.push(a),
      onError: (e, retryMs) => errors.push([(e as Error).message, retryMs]),
    });
    return { last, paths, answers, errors, pauses };
  }

  it('follows from each answer\'s next', async () => {
    const r = await run([answer(7), answer(9, [entry(8), entry(9)]), answer(9)]);
    expect(r.paths.map((p) => new URLSearchParams(p.split('?')[1]).get('after'))).toEqual([null, '7', '9', '9']);
    expect(r.paths[0]).toContain('type=tool');
    expect(r.answers.map((a) => a.data.length)).toEqual([0, 2, 0]);
    expect(r.last).toBe(9);
    expect(r.errors).toEqual([]);
  });

  it('goes on from where it stood (after a pause)', async () => {
    const r = await run([answer(12)], 10);
    expect(r.paths[0]).toContain('after=10');
    expect(r.last).toBe(12);
  });

  it('retries errors that may pass with growing pauses, from where it stood', async () => {
    const r = await run([answer(3), new TypeError('fetch failed'), new HttpError(503, 'stopping'), answer(4)]);
    expect(r.errors).toEqual([['fetch failed', 1000], ['stopping', 2000]]);
    expect(r.pauses).toEqual([1000, 2000]);
    expect(r.paths.slice(1, 4).every((p) => p.includes('after=3'))).toBe(true);
    expect(r.last).toBe(4);
  });

  it('stops on an error that will not pass', async () => {
    const r = await run([new HttpError(400, "parameter 'type' must be one of span"), answer(1)]);
    expect(r.errors).toEqual([["parameter 'type' must be one of span", null]]);
    expect(r.paths).toHaveLength(1);
    expect(r.last).toBe(null);
  });
});
