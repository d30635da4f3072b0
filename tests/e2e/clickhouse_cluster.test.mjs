// The ClickHouse backend on a cluster (`--clickhouse-cluster`, docs/scale-out.md): a ZooKeeper and
// two clickhouse-servers forming cluster "trackly" of two shards, one replica each, and two trackly
// nodes, each talking to a different server. The tables are `<table>_local` on each shard behind
// Distributed tables: both nodes read the same traces, whichever node and shard they went
// through; spans are spread over both shards; an erasure through one node removes the rows from
// both shards; the catalog (keys) is shared through the cluster.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startServer, createKey, tempDataDir, removeDir, getJson } from './harness.mjs';
import { clickhouseInstalled, sendTrace, startClickHouseCluster, waitForSpoolShipped, zookeeperInstalled } from './clickhouse.mjs';

const PROJECT = 'cluster';
const DATABASE = 'e2e';
const skip = !clickhouseInstalled() ? 'clickhouse-server is not installed (scripts/install-deps.sh installs it)'
  : !zookeeperInstalled() ? 'zookeeper is not installed' : false;

let dir;
let cluster;
let key;  // ingest, read and admin, made by the CLI in the cluster's catalog
let a;    // node-a, on cluster.servers[0]
let b;    // node-b, on cluster.servers[1]
const nodes = [];
// Every trace sent (trace id → span count) and the node it went through.
const sent = new Map();
const sentThrough = new Map();

function startNode(name, server) {
  return startServer(join(dir, `data-${name}`), ['--store', 'clickhouse', '--clickhouse-url', server.url,
    '--clickhouse-database', DATABASE, '--clickhouse-cluster', cluster.name,
    '--spool-dir', join(dir, `spool-${name}`), '--node-id', name]).then((node) => { nodes.push(node); return node; });
}

before(async () => {
  if (skip) return;
  dir = tempDataDir();
  cluster = await startClickHouseCluster(join(dir, 'cluster'));
  const env = { TRACKLY_STORE: 'clickhouse', TRACKLY_CLICKHOUSE_URL: cluster.servers[0].url,
    TRACKLY_CLICKHOUSE_DATABASE: DATABASE, TRACKLY_CLICKHOUSE_CLUSTER: cluster.name };
  key = createKey(join(dir, 'cli'), { project: PROJECT, scopes: 'ingest,read,admin', env });
  a = await startNode('node-a', cluster.servers[0]);
  b = await startNode('node-b', cluster.servers[1]);
});

after(async () => {
  await Promise.all(nodes.map((node) => node.stop().catch(() => undefined)));
  await cluster?.stop();
  if (dir) removeDir(dir);
});

async function api(node, path) {
  const { status, json, body } = await getJson(node, path, key.key);
  assert.equal(status, 200, `${node.url}${path}: ${body}`);
  return json;
}

// Every trace `node` lists (trace id → span count), read page by page with small pages so the
// cursor is followed across several pages; fails on a trace listed twice.
async function listAll(node) {
  const seen = new Map();
  let cursor = null;
  do {
    const page = await api(node, `/api/v1/traces?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const t of page.data) {
      assert.equal(seen.has(t.id), false, `${node.url} lists trace ${t.id} twice`);
      seen.set(t.id, t.counts.observations);
    }
    cursor = page.next_cursor;
  } while (cursor);
  return seen;
}

// The rows of e2e.observations_local on each server of the cluster (each shard's own rows), of
// the trace `traceId` when given.
async function localObservationCounts(traceId) {
  const where = traceId ? ` WHERE trace_id = '${traceId}'` : '';
  return Promise.all(cluster.servers.map(async (server) =>
    Number(await server.query(`SELECT count() FROM ${DATABASE}.observations_local${where}`))));
}

test('two nodes on different servers of a cluster read the same traces, spread over both shards', { skip }, async () => {
  const sends = [];
  for (let i = 0; i < 40; ++i) {
    const traceId = randomBytes(16).toString('hex');
    const spans = 2 + (i % 3);
    const node = i % 2 ? b : a;
    sent.set(traceId, spans);
    sentThrough.set(traceId, node);
    sends.push(sendTrace(node, key.key, traceId, spans));
  }
  assert.deepEqual(new Set(await Promise.all(sends)), new Set([200]));
  await Promise.all([waitForSpoolShipped(a, key.key, 30_000), waitForSpoolShipped(b, key.key, 30_000)]);

  const expected = [...sent].sort();
  for (const node of [a, b]) assert.deepEqual([...await listAll(node)].sort(), expected, `the traces ${node.url} lists`);

  const fromA = [...sent.keys()].filter((id) => sentThrough.get(id) === a);
  for (const traceId of fromA.slice(0, 3)) {
    const trace = await api(b, `/api/v1/traces/${traceId}`);
    assert.equal(trace.observations.length, sent.get(traceId), `spans of trace ${traceId} (sent to node-a) read through node-b`);
  }

  const perShard = await localObservationCounts();
  const spansSent = [...sent.values()].reduce((x, y) => x + y, 0);
  assert.ok(perShard.every((n) => n > 0), `observations_local rows per shard: ${perShard}`);
  assert.equal(perShard[0] + perShard[1], spansSent, `observations_local rows per shard: ${perShard}`);
});

test('a trace erased through one node is gone through the other and from both shards', { skip }, async () => {
  // A trace sent through node-a whose rows are on the shard of node-a's server only, so the
  // erasure through node-b acts on rows neither it nor its server wrote.
  let traceId;
  for (const id of [...sent.keys()].filter((id) => sentThrough.get(id) === a)) {
    const [onA, onB] = await localObservationCounts(id);
    if (onA === sent.get(id) && onB === 0) {
      traceId = id;
      break;
    }
  }
  assert.ok(traceId, 'no trace sent through node-a has its rows on the first shard only');
  const res = await fetch(`${b.url}/api/v1/traces/${traceId}`, {
    method: 'DELETE', headers: { authorization: `Bearer ${key.key}` }, signal: AbortSignal.timeout(60_000),
  });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  assert.equal(JSON.parse(body).erased.observations, sent.get(traceId), body);
  sent.delete(traceId);

  const { status, body: detail } = await getJson(a, `/api/v1/traces/${traceId}`, key.key);
  assert.equal(status, 404, detail);
  // The answer comes once the data is gone from the store's files (docs/security.md "Erasure"),
  // so no shard has a row of it left by now.
  assert.deepEqual(await localObservationCounts(traceId), [0, 0], 'observations_local rows of the erased trace per shard');
  assert.deepEqual([...await listAll(a)].sort(), [...sent].sort());
});

test('a key made through one node\'s admin API works on the other', { skip }, async () => {
  const created = await fetch(`${a.url}/api/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'made on node a', scopes: 'ingest,read' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const made = await created.json();
  const traceId = randomBytes(16).toString('hex');
  assert.equal(await sendTrace(b, made.key, traceId, 2), 200);
  await waitForSpoolShipped(b, made.key, 30_000);
  const { status, json, body } = await getJson(b, `/api/v1/traces/${traceId}`, made.key);
  assert.equal(status, 200, body);
  assert.equal(json.observations.length, 2);
});
