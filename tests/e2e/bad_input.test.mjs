// The bad-input table of the core issue, against the real binary over real HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, constants } from 'node:zlib';
import { startServer, createKey, tempDataDir, removeDir, getJson } from './harness.mjs';
import { jsonSpan, jsonRequest, postJson, hex } from './otlp_payloads.mjs';

let dataDir;
let server;
let key;
let readOnlyKey;

before(async () => {
  dataDir = tempDataDir();
  key = createKey(dataDir).key;
  readOnlyKey = createKey(dataDir, { scopes: 'read' }).key;
  server = await startServer(dataDir);
});

after(async () => {
  await server.stop();
  removeDir(dataDir);
});

test('a missing or unknown key gets 401, a key without the scope 403', async () => {
  const body = jsonRequest([jsonSpan()]);
  assert.equal((await postJson(server, null, body)).status, 401);
  assert.equal((await postJson(server, 'tk-0123456789abcdef-notarealsecretnotarealsecret00', body)).status, 401);
  const denied = await postJson(server, readOnlyKey, body);
  assert.equal(denied.status, 403);
  assert.ok(denied.json?.error?.message, 'the 403 says why');
  assert.equal((await getJson(server, '/api/v1/traces', 'nope')).status, 401);
});

test('undecodable JSON gets 400 naming the problem', async () => {
  const res = await postJson(server, key, '{"resourceSpans": [');
  assert.equal(res.status, 400);
  assert.match(res.text, /JSON|json/);
});

test('undecodable protobuf gets 400', async () => {
  const res = await postJson(server, key, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), {
    headers: { 'Content-Type': 'application/x-protobuf' },
  });
  assert.equal(res.status, 400);
});

test('an unsupported content type gets 415', async () => {
  const res = await postJson(server, key, 'hello', { headers: { 'Content-Type': 'text/plain' } });
  assert.equal(res.status, 415);
});

test('a gzip bomb gets 413 without being inflated', async () => {
  // 1 GiB of zeros compresses to about 1 MiB; the server must stop at its cap (64 MiB by default).
  const chunk = Buffer.alloc(64 << 20);
  const parts = [];
  for (let i = 0; i < 16; i++) parts.push(chunk);
  const bomb = gzipSync(Buffer.concat(parts), { level: constants.Z_BEST_COMPRESSION });
  const before = process.memoryUsage().rss;
  const res = await postJson(server, key, bomb, { headers: { 'Content-Encoding': 'gzip' } });
  assert.equal(res.status, 413);
  assert.ok(before > 0);
});

test('nesting deeper than 64 gets 400', async () => {
  let value = { stringValue: 'deep' };
  for (let i = 0; i < 70; i++) value = { arrayValue: { values: [value] } };
  const span = jsonSpan();
  span.attributes = [{ key: 'deep', value }];
  const res = await postJson(server, key, jsonRequest([span]));
  assert.equal(res.status, 400);
  assert.match(res.text, /nest|depth/i);
});

test('an all-zero trace or span id is rejected in partial_success and the rest is kept', async () => {
  const good = jsonSpan({ name: 'kept' });
  const zeroTrace = jsonSpan({ traceId: '0'.repeat(32) });
  const zeroSpan = jsonSpan({ spanId: '0'.repeat(16) });
  const res = await postJson(server, key, jsonRequest([zeroTrace, good, zeroSpan]));
  assert.equal(res.status, 200);
  assert.equal(Number(res.json.partialSuccess.rejectedSpans), 2);
  assert.match(res.json.partialSuccess.errorMessage, /zero/);
  const kept = await getJson(server, `/api/v1/traces/${good.traceId}`, key);
  assert.equal(kept.status, 200);
  assert.equal(kept.json.observations[0].name, 'kept');
});

test('oversized attribute values are truncated, not refused', async () => {
  const span = jsonSpan({ attrs: { 'input.value': 'x'.repeat(3 << 20) } });
  const res = await postJson(server, key, jsonRequest([span]));
  assert.equal(res.status, 200);
  const stored = await getJson(server, `/api/v1/traces/${span.traceId}`, key);
  assert.equal(stored.status, 200);
  const obs = stored.json.observations[0];
  assert.ok(JSON.stringify(obs).length < (3 << 20), 'the value was cut');
});

test('a retried batch leaves no duplicates', async () => {
  const traceId = hex(16);
  const root = jsonSpan({ traceId, name: 'root' });
  const child = jsonSpan({ traceId, parentSpanId: root.spanId, name: 'child' });
  for (let i = 0; i < 3; i++) assert.equal((await postJson(server, key, jsonRequest([child, root]))).status, 200);
  const stored = await getJson(server, `/api/v1/traces/${traceId}`, key);
  assert.equal(stored.json.observations.length, 2);
  assert.equal(stored.json.trace.counts.observations, 2);
});

test('errors are JSON with a code and a message', async () => {
  const res = await getJson(server, '/api/v1/traces/does-not-exist', key);
  assert.equal(res.status, 404);
  assert.equal(typeof res.json.error.code, 'string');
  assert.equal(typeof res.json.error.message, 'string');
  const bad = await getJson(server, '/api/v1/traces?limit=banana', key);
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /limit/);
});
