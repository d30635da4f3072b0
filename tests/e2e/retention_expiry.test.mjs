// Retention (docs/security.md "Retention"): a project set to keep payloads 30 days loses the
// input, output and attributes of older traces through every read API, from the search index and
// from every file of the data directory, while their summary (names, timing, tokens, cost) stays
// and newer traces are whole; a summary retention then removes the oldest traces entirely.
// Traces are sent with old timestamps, so the server's real clock is the test's clock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDataDir, removeDir, createKey, getJson, cli, filesHolding } from './harness.mjs';
import { jsonSpan, jsonRequest, postJson, hex } from './otlp_payloads.mjs';

const kDayMs = 86_400_000;
let dataDir, server, admin;

// Words that appear only in the trace they name; none looks like a secret, so redaction keeps them.
const canary = (what) => `RetentionCanary${what}${hex(8)}`;
const traces = {
  old: { id: hex(16), ageDays: 40, text: canary('Old') },
  mid: { id: hex(16), ageDays: 10, text: canary('Mid') },
  new: { id: hex(16), ageDays: 0, text: canary('New') },
};

function spansOf(trace) {
  const endMs = BigInt(Date.now() - trace.ageDays * kDayMs);
  const times = (offsetMs, lengthMs) => ({
    startTimeUnixNano: String((endMs - 1000n + BigInt(offsetMs)) * 1_000_000n),
    endTimeUnixNano: String((endMs - 1000n + BigInt(offsetMs + lengthMs)) * 1_000_000n),
  });
  const root = jsonSpan({ traceId: trace.id, name: 'agent run', ...times(0, 900), attrs: {
    'session.id': `session-${trace.ageDays}`, 'input.value': `question about ${trace.text}`,
    'output.value': `answer about ${trace.text}`, 'app.note': `attribute with ${trace.text}`,
  } });
  const llm = jsonSpan({ traceId: trace.id, parentSpanId: root.spanId, name: 'chat', ...times(10, 500), attrs: {
    'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12,
    'gen_ai.usage.output_tokens': 5, 'gen_ai.prompt': `prompt with ${trace.text}`,
    'gen_ai.completion': `completion with ${trace.text}`,
  } });
  return [root, llm];
}

// Every file of the data directory that holds `word`.
const filesIn = (word) => filesHolding(dataDir, word);

async function send(method, path, body) {
  const res = await fetch(server.url + path, {
    method,
    headers: { Authorization: `Bearer ${admin}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* JSON lines or OTLP export, read as text */ }
  return { status: res.status, text, json };
}

async function expectWhole(trace) {
  const detail = await getJson(server, `/api/v1/traces/${trace.id}`, admin);
  assert.equal(detail.status, 200);
  assert.match(JSON.stringify(detail.json), new RegExp(trace.text), `${trace.ageDays}-day-old trace lost its text`);
  assert.ok(detail.json.observations.every((o) => !o.payload_expired));
}

before(async () => {
  dataDir = tempDataDir();
  admin = createKey(dataDir, { scopes: 'ingest,read,admin' }).key;
  server = await startServer(dataDir);
  const sent = await postJson(server, admin, jsonRequest(Object.values(traces).flatMap(spansOf)));
  assert.equal(sent.status, 200, sent.text);
});

after(async () => {
  await server?.stop();
  removeDir(dataDir);
});

test('the canaries are on disk and searchable before expiry', async () => {
  for (const trace of Object.values(traces)) {
    assert.ok(filesIn(trace.text).length > 0, `${trace.text} is nowhere on disk, so the later check proves nothing`);
    const found = await getJson(server, `/api/v1/traces?q=${trace.text}`, admin);
    assert.deepEqual(found.json.data.map((t) => t.id), [trace.id]);
  }
});

test('the project follows the server default (keep forever) until it is given a retention', async () => {
  const shown = await send('GET', '/api/v1/retention');
  assert.equal(shown.status, 200, shown.text);
  assert.deepEqual(shown.json, { payload_days: 0, summary_days: 0, source: 'default' });
  const bad = await send('PUT', '/api/v1/retention', { payload_days: 30, summary_days: 7 });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /payload_days/);
});

test('payloads older than 30 days are unreadable through every API once retention runs', async () => {
  const put = await send('PUT', '/api/v1/retention', { payload_days: 30, summary_days: 0 });
  assert.equal(put.status, 200, put.text);
  const run = await send('POST', '/api/v1/retention/run');
  assert.equal(run.status, 200, run.text);
  assert.ok(run.json.expired.partitions_dropped >= 1, run.text);
  assert.equal(run.json.expired.traces_cleared, 1, run.text);

  const { old } = traces;
  const detail = await getJson(server, `/api/v1/traces/${old.id}`, admin);
  assert.equal(detail.status, 200);
  assert.doesNotMatch(JSON.stringify(detail.json), new RegExp(old.text));
  assert.equal(detail.json.trace.input, null);
  assert.equal(detail.json.trace.output, null);
  // The summary outlives the payload.
  assert.equal(detail.json.trace.name, 'agent run');
  assert.equal(detail.json.trace.usage.input_tokens, 12);
  assert.ok(detail.json.trace.latency_ms > 0);
  assert.equal(detail.json.observations.length, 2);
  for (const o of detail.json.observations) {
    assert.equal(o.payload_expired, true, o.name);
    assert.equal(o.input, null);
    assert.deepEqual(o.attributes, {});
  }
  const chat = detail.json.observations.find((o) => o.name === 'chat');
  assert.equal(chat.model, 'gpt-4o-mini');
  const one = await getJson(server, `/api/v1/traces/${old.id}/observations/${chat.id}`, admin);
  assert.equal(one.status, 200);
  assert.equal(one.json.payload_expired, true);
  assert.doesNotMatch(JSON.stringify(one.json), new RegExp(old.text));
  for (const view of ['', '?fields=summary']) {
    const page = await getJson(server, `/api/v1/traces/${old.id}/observations${view}`, admin);
    assert.equal(page.status, 200, view);
    assert.doesNotMatch(JSON.stringify(page.json), new RegExp(old.text), view);
  }
  const found = await getJson(server, `/api/v1/traces?q=${old.text}`, admin);
  assert.deepEqual(found.json.data, []);
  const list = await getJson(server, '/api/v1/traces', admin);
  assert.deepEqual(list.json.data.map((t) => t.id), [traces.new.id, traces.mid.id, old.id]);
  assert.doesNotMatch(JSON.stringify(list.json), new RegExp(old.text));
  for (const format of ['jsonl', 'otlp']) {
    const exported = await send('GET', `/api/v1/export?format=${format}`);
    assert.equal(exported.status, 200, exported.text);
    assert.doesNotMatch(exported.text, new RegExp(old.text), format);
    assert.match(exported.text, new RegExp(traces.mid.text), format);
  }
  await expectWhole(traces.mid);
  await expectWhole(traces.new);
});

test('the expired text is gone from every file of the data directory while the server runs', () => {
  assert.deepEqual(filesIn(traces.old.text), [], `${traces.old.text} survived its expiry`);
  assert.ok(filesIn(traces.mid.text).length > 0, 'a trace within its retention lost its text');
});

test('a summary retention removes older traces entirely; a second run removes nothing more', async () => {
  assert.equal((await send('PUT', '/api/v1/retention', { payload_days: 5, summary_days: 20 })).status, 200);
  const run = await send('POST', '/api/v1/retention/run');
  assert.equal(run.status, 200, run.text);
  assert.equal(run.json.expired.traces_removed, 1, run.text);
  assert.equal(run.json.expired.traces_cleared, 1, run.text);
  assert.equal((await getJson(server, `/api/v1/traces/${traces.old.id}`, admin)).status, 404);
  const mid = await getJson(server, `/api/v1/traces/${traces.mid.id}`, admin);
  assert.equal(mid.status, 200);
  assert.ok(mid.json.observations.every((o) => o.payload_expired));
  await expectWhole(traces.new);
  const again = await send('POST', '/api/v1/retention/run');
  assert.deepEqual(again.json.expired, { partitions_dropped: 0, traces_cleared: 0, traces_removed: 0 });
  assert.deepEqual(filesIn(traces.mid.text), []);
});

test('retention changes are in the audit log, and the CLI shows the setting', async () => {
  const audit = await getJson(server, '/api/v1/audit?limit=100', admin);
  const updates = audit.json.data.filter((e) => e.action === 'retention.update');
  assert.equal(updates.length, 2);
  const out = cli(['retention', 'show', '--project', 'default', '--data', dataDir]);
  assert.match(out, /payload.*5/i);
  assert.match(out, /summary.*20/i);
});
