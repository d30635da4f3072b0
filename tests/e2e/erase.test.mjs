// Erasure (docs/security.md "Erasure"): a trace, an end user's traces and a session's traces
// deleted through the API and the CLI while the server runs, recorded in the audit log, and gone
// from every file of the data directory, while what was not erased stays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDataDir, removeDir, createKey, getJson, cli, filesHolding } from './harness.mjs';
import { jsonSpan, jsonRequest, postJson, hex } from './otlp_payloads.mjs';

let dataDir, server, admin, reader;

// Words that appear only in the traces they name; none looks like a secret, so redaction keeps them.
const canary = (what) => `ErasureCanary${what}${hex(8)}`;
const traces = {
  one: { id: hex(16), user: `user-${hex(4)}`, session: `session-${hex(4)}`, text: canary('Trace') },
  ofUser: { id: hex(16), user: null, session: `session-${hex(4)}`, text: canary('User') },
  ofSession: { id: hex(16), user: `user-${hex(4)}`, session: `session-${hex(4)}`, text: canary('Session') },
  kept: { id: hex(16), user: `user-${hex(4)}`, session: `session-${hex(4)}`, text: canary('Kept') },
};
traces.ofUser.user = `erase-me-${hex(4)}`;

function spansOf(trace) {
  const root = jsonSpan({ traceId: trace.id, name: 'agent run', attrs: {
    'user.id': trace.user, 'session.id': trace.session, 'input.value': `question about ${trace.text}`,
    'output.value': `answer about ${trace.text}`,
  } });
  const llm = jsonSpan({ traceId: trace.id, parentSpanId: root.spanId, name: 'chat', attrs: {
    'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 12,
    'gen_ai.usage.output_tokens': 5, 'gen_ai.prompt': `prompt with ${trace.text}`,
  } });
  return [root, llm];
}

// Every file of the data directory that holds `word`.
const filesIn = (word) => filesHolding(dataDir, word);

async function send(method, path, key, body) {
  const res = await fetch(server.url + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}

before(async () => {
  dataDir = tempDataDir();
  const adminKey = createKey(dataDir, { scopes: 'ingest,read,admin' });
  admin = adminKey.key;
  reader = createKey(dataDir, { scopes: 'ingest,read' }).key;
  server = await startServer(dataDir);
  const sent = await postJson(server, admin, jsonRequest(Object.values(traces).flatMap(spansOf)));
  assert.equal(sent.status, 200, sent.text);
  // A score on the first trace, the way Langfuse clients send one.
  const score = await fetch(`${server.url}/api/public/ingestion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json',
               authorization: `Basic ${Buffer.from(`${adminKey.public_key}:${adminKey.secret_key}`).toString('base64')}` },
    body: JSON.stringify({ batch: [{ id: hex(8), type: 'score-create', timestamp: new Date().toISOString(),
                                     body: { id: hex(8), traceId: traces.one.id, name: 'quality', value: 1 } }] }),
  });
  assert.equal(score.status, 207);
});

after(() => removeDir(dataDir));

test('the canaries are on disk before the erasure', () => {
  for (const trace of Object.values(traces)) {
    assert.ok(filesIn(trace.text).length > 0, `${trace.text} is nowhere on disk, so the later check proves nothing`);
  }
});

test('DELETE /api/v1/traces/{id} erases the trace and its scores; only admins may', async () => {
  assert.equal((await send('DELETE', `/api/v1/traces/${traces.one.id}`, reader)).status, 403);
  const erased = await send('DELETE', `/api/v1/traces/${traces.one.id}`, admin);
  assert.equal(erased.status, 200, JSON.stringify(erased.json));
  assert.deepEqual(erased.json, { erased: { traces: 1, observations: 2, scores: 1 } });
  assert.equal((await getJson(server, `/api/v1/traces/${traces.one.id}`, admin)).status, 404);
  assert.equal((await send('DELETE', `/api/v1/traces/${traces.one.id}`, admin)).status, 404, 'a second delete finds nothing');
  const scores = await getJson(server, `/api/v1/scores?trace_id=${traces.one.id}`, admin);
  assert.deepEqual(scores.json.data, []);
});

test('POST /api/v1/erase erases every trace of an end user', async () => {
  const erased = await send('POST', '/api/v1/erase', admin, { user_id: traces.ofUser.user });
  assert.equal(erased.status, 200, JSON.stringify(erased.json));
  assert.deepEqual(erased.json, { erased: { traces: 1, observations: 2, scores: 0 } });
  const left = await getJson(server, `/api/v1/traces?user_id=${traces.ofUser.user}`, admin);
  assert.deepEqual(left.json.data, []);
  const bad = await send('POST', '/api/v1/erase', admin, { user_id: 'a', session_id: 'b' });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /exactly one of trace_id, session_id and user_id/);
});

test('trackly erase removes a session\'s traces beside the running server', async () => {
  const out = cli(['erase', '--project', 'default', '--session', traces.ofSession.session, '--data', dataDir]);
  assert.match(out, /Erased 1 traces \(2 observations, 0 scores\)/);
  assert.equal((await getJson(server, `/api/v1/sessions/${traces.ofSession.session}`, admin)).status, 404);
  const list = await getJson(server, '/api/v1/traces', admin);
  assert.deepEqual(list.json.data.map((t) => t.id), [traces.kept.id]);
  const sessions = await getJson(server, '/api/v1/sessions', admin);
  assert.deepEqual(sessions.json.data.map((s) => s.id), [traces.kept.session]);
});

test('each erasure is in the audit log with its counts', async () => {
  const audit = await getJson(server, '/api/v1/audit?limit=100', admin);
  const events = audit.json.data.filter((e) => e.action.endsWith('.delete'));
  const summary = events.map((e) => [e.action, e.target, e.details.traces, e.actor.split(':')[0]]);
  assert.deepEqual(summary, [
    ['session.delete', traces.ofSession.session, 1, 'cli'],
    ['user_data.delete', traces.ofUser.user, 1, 'key'],
    ['trace.delete', traces.one.id, 1, 'key'],
  ]);
});

test('after a graceful stop the erased text is in no file of the data directory; the rest is', async () => {
  const { code } = await server.stop();
  assert.equal(code, 0);
  for (const trace of [traces.one, traces.ofUser, traces.ofSession]) {
    assert.deepEqual(filesIn(trace.text), [], `${trace.text} survived its erasure`);
  }
  assert.ok(filesIn(traces.kept.text).length > 0, 'the trace that was not erased is gone too');
});
