// The ClickHouse backend end to end (docs/scale-out.md): Debian's clickhouse-server on loopback
// and real trackly nodes with `--store clickhouse`, each with a data directory and spool of its
// own, sharing the catalog in ClickHouse. Two nodes write at once and read the same answers, and
// a key made or revoked through one holds on the other; ClickHouse stops in the middle of a
// sustained ingest and comes back; a node is killed with -9 with spans still in its spool. Every
// acknowledged span must arrive exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startServer, createKey, tempDataDir, removeDir, getJson } from './harness.mjs';
import { clickhouseInstalled, sendTrace, startClickHouse } from './clickhouse.mjs';

const PROJECT = 'ch';
const skip = clickhouseInstalled() ? false : 'clickhouse-server is not installed (scripts/install-deps.sh installs it)';

let dir;
let dataDir;
let clickhouse;
let key;
const nodes = [];

// The first node started, node-a, has `dataDir`, whose catalog.db (with the test's key) it copies
// into ClickHouse; the others have empty data directories and find the key there.
async function startNode(name) {
  const nodeDir = name === 'node-a' ? dataDir : join(dir, `data-${name}`);
  const node = await startServer(nodeDir, ['--store', 'clickhouse', '--clickhouse-url', clickhouse.url,
    '--clickhouse-database', 'e2e', '--spool-dir', join(dir, `spool-${name}`), '--node-id', name]);
  nodes.push(node);
  return node;
}

before(async () => {
  if (skip) return;
  dir = tempDataDir();
  dataDir = join(dir, 'data-node-a');
  key = createKey(dataDir, { project: PROJECT });
  clickhouse = await startClickHouse(join(dir, 'clickhouse'));
});

after(async () => {
  for (const node of nodes) await node.stop().catch(() => undefined);
  await clickhouse?.stop();
  if (dir) removeDir(dir);
});

async function api(node, path) {
  const { status, json, body } = await getJson(node, path, key.key);
  assert.equal(status, 200, `${path}: ${body}`);
  return json;
}

async function waitFor(what, check, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last === true) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

// Every trace in `expected` (trace id → span count) is stored once with exactly that many spans:
// the trace list (summaries, read through `node`) has each once with that count, and a sample of
// trace details has that many spans.
async function expectExactlyOnce(node, expected) {
  const seen = new Map();
  let cursor = null;
  do {
    const page = await api(node, `/api/v1/traces?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const t of page.data) {
      assert.equal(seen.has(t.id), false, `trace ${t.id} listed twice`);
      seen.set(t.id, t.counts.observations);
    }
    cursor = page.next_cursor;
  } while (cursor);
  for (const [traceId, spans] of expected) assert.equal(seen.get(traceId), spans, `trace ${traceId}`);
  for (const traceId of [...expected.keys()].slice(0, 10)) {
    const trace = await api(node, `/api/v1/traces/${traceId}`);
    assert.equal(trace.observations.length, expected.get(traceId), `spans of trace ${traceId}`);
  }
}

async function spoolDrained(node) {
  const health = await api(node, '/api/v1/health');
  return health.spool.records_waiting === 0 ? true : health.spool;
}

test('two nodes write to one ClickHouse at once and read the same traces', { skip }, async () => {
  const a = await startNode('node-a');
  const b = await startNode('node-b');
  const expected = new Map();
  const sends = [];
  for (let i = 0; i < 20; ++i) {
    const traceId = randomBytes(16).toString('hex');
    expected.set(traceId, 3);
    sends.push(sendTrace(i % 2 ? a : b, key.key, traceId, 3));
  }
  assert.deepEqual(new Set(await Promise.all(sends)), new Set([200]));
  for (const node of [a, b]) await waitFor('the spools to ship', () => spoolDrained(node));
  await expectExactlyOnce(a, expected);
  const fromA = await api(a, '/api/v1/traces?limit=100');
  const fromB = await api(b, '/api/v1/traces?limit=100');
  assert.equal(fromA.data.length, 20);
  assert.deepEqual(fromA.data.map((t) => t.id), fromB.data.map((t) => t.id));
  const health = await api(a, '/api/v1/health');
  assert.equal(health.spool.consecutive_failures, 0);
});

test('the catalog is shared: a key made through one node works on the other, and revoking it ends it on both', { skip }, async () => {
  const [a, b] = nodes;
  // An admin key made by the CLI straight in ClickHouse, as an operator's script would.
  const env = { TRACKLY_STORE: 'clickhouse', TRACKLY_CLICKHOUSE_URL: clickhouse.url, TRACKLY_CLICKHOUSE_DATABASE: 'e2e' };
  const admin = createKey(join(dir, 'cli'), { project: PROJECT, scopes: 'ingest,read,admin', env });
  const adminHeaders = { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' };
  const created = await fetch(`${a.url}/api/v1/keys`, {
    method: 'POST', headers: adminHeaders, body: JSON.stringify({ name: 'made on node a', scopes: 'ingest,read' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const made = await created.json();
  for (const node of [a, b]) assert.equal((await getJson(node, '/api/v1/traces?limit=1', made.key)).status, 200);
  const revoked = await fetch(`${b.url}/api/v1/keys/${made.id}`, { method: 'DELETE', headers: adminHeaders });
  assert.equal(revoked.status, 200, await revoked.clone().text());
  // Node a asks the catalog again once its one-second key cache has expired.
  await waitFor('the revocation to reach node a', async () => {
    const { status } = await getJson(a, '/api/v1/traces?limit=1', made.key);
    return status === 401 || status;
  }, 10_000);
  // Both nodes record in the one audit log.
  const { json } = await getJson(a, `/api/v1/audit?target=${made.id}`, admin.key);
  assert.deepEqual(json.data.map((e) => e.action).sort(), ['key.create', 'key.revoke']);
});

test('ClickHouse stopping in the middle of an ingest loses and doubles nothing acknowledged', { skip }, async () => {
  const a = nodes[0];
  const acked = new Map();
  let running = true;
  // A steady client: a trace of 4 spans every 20 ms.
  const loop = (async () => {
    while (running) {
      const traceId = randomBytes(16).toString('hex');
      if (await sendTrace(a, key.key, traceId, 4) === 200) acked.set(traceId, 4);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await waitFor('some traffic', () => acked.size >= 20 || acked.size);
  await clickhouse.stop();
  const beforeOutage = acked.size;
  await waitFor('acknowledgements during the outage', () => acked.size >= beforeOutage + 20 || acked.size);
  const health = await api(a, '/api/v1/health');
  assert.ok(health.spool.records_waiting > 0, JSON.stringify(health.spool));
  await clickhouse.start();
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  await loop;
  await waitFor('the spool to ship after the outage', () => spoolDrained(a));
  await expectExactlyOnce(a, acked);
});

test('a node killed with -9 ships its spool after it restarts', { skip }, async () => {
  const a = nodes[0];
  await clickhouse.stop();
  const acked = new Map();
  for (let i = 0; i < 15; ++i) {
    const traceId = randomBytes(16).toString('hex');
    assert.equal(await sendTrace(a, key.key, traceId, 2), 200);
    acked.set(traceId, 2);
  }
  await a.kill9();
  nodes.splice(nodes.indexOf(a), 1);
  await clickhouse.start();
  const restarted = await startNode('node-a');
  await waitFor('the recovered spool to ship', () => spoolDrained(restarted));
  await expectExactlyOnce(restarted, acked);
});
