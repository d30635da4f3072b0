// kill -9 during sustained ingest, several times at random moments; after each restart every span
// whose request was answered 200 must be there. The kill moments come from a seeded generator so
// a failure can be replayed (TRACKLY_KILL_SEED).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createKey, tempDataDir, removeDir, getJson } from './harness.mjs';
import { jsonSpan, jsonRequest, postJson, hex } from './otlp_payloads.mjs';

const SEED = Number(process.env.TRACKLY_KILL_SEED ?? 20261122);
const ROUNDS = 3;
const SENDERS = 8;
const SPANS_PER_BATCH = 50;

// Small deterministic PRNG (mulberry32).
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// One batch = one trace of SPANS_PER_BATCH spans (a root and its children).
function batch() {
  const traceId = hex(16);
  const root = jsonSpan({ traceId, name: 'root' });
  const spans = [root];
  for (let i = 1; i < SPANS_PER_BATCH; i++) {
    spans.push(jsonSpan({ traceId, parentSpanId: root.spanId, name: `step-${i}`, attrs: { 'input.value': 'x'.repeat(300) } }));
  }
  return { traceId, count: spans.length, body: jsonRequest(spans) };
}

test('every acknowledged span survives kill -9', { timeout: 240000 }, async (t) => {
  const random = rng(SEED);
  const dataDir = tempDataDir();
  const { key } = createKey(dataDir);
  const acked = new Map();  // traceId → span count
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startServer(dataDir);
      let stop = false;
      const senders = Array.from({ length: SENDERS }, async () => {
        while (!stop) {
          const b = batch();
          try {
            const res = await postJson(server, key, b.body);
            if (res.status === 200) acked.set(b.traceId, b.count);
          } catch {
            return;  // connection dropped by the kill: not acknowledged, so not expected
          }
        }
      });
      // Let ingest run for 300 ms to 1.5 s before the kill.
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(random() * 1200)));
      await server.kill9();
      stop = true;
      await Promise.all(senders);
    }
    assert.ok(acked.size > 0, 'some batches were acknowledged before the kills');
    t.diagnostic(`seed ${SEED}: ${ROUNDS} kills, ${acked.size} acknowledged batches of ${SPANS_PER_BATCH} spans`);

    const server = await startServer(dataDir);
    try {
      const missing = [];
      for (const [traceId, count] of acked) {
        const res = await getJson(server, `/api/v1/traces/${traceId}`, key);
        if (res.status !== 200 || res.json.observations.length !== count || res.json.trace.counts.observations !== count) {
          missing.push(`${traceId}: status ${res.status}, ${res.json?.observations?.length ?? 0}/${count} spans`);
        }
      }
      assert.deepEqual(missing, [], `seed ${SEED}: acknowledged spans lost after kill -9`);
    } finally {
      await server.stop();
    }
  } finally {
    removeDir(dataDir);
  }
});
