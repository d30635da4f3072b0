// Evaluation at completion (docs/insight.md): once a trace has had no new span for the finish
// delay, the real server stores its stop reason, the pathologies found and the result of each of
// the project's process rules as scores from source "trackly", and the trace list filters on them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDataDir, removeDir, createKey, getJson } from './harness.mjs';
import { jsonSpan, jsonRequest, postJson, hex } from './otlp_payloads.mjs';

let dataDir, server, key;
const looping = hex(16);
const fine = hex(16);

// An agent run calling one tool `calls` times with the same arguments, then answering.
function agentRun(traceId, calls) {
  const root = jsonSpan({ traceId, name: 'agent run', attrs: { 'gen_ai.operation.name': 'invoke_agent' } });
  const tools = Array.from({ length: calls }, () => jsonSpan({ traceId, parentSpanId: root.spanId,
    name: 'execute_tool search', attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search',
                                          'gen_ai.tool.call.arguments': '{"q": "weather in Paris"}' } }));
  return [root, ...tools];
}

// The ids of the traces the list returns for `query`, once the evaluation has stored what it
// looks for (it runs a finish delay after the last span; polled up to 20 s).
async function tracesWith(query) {
  const deadline = Date.now() + 20_000;
  while (true) {
    const list = await getJson(server, `/api/v1/traces?${query}`, key);
    assert.equal(list.status, 200, JSON.stringify(list.json));
    if (list.json.data.length > 0 || Date.now() > deadline) return list.json.data.map((t) => t.id);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  dataDir = tempDataDir();
  key = createKey(dataDir, { scopes: 'ingest,read,admin' }).key;
  server = await startServer(dataDir, ['--trace-finish-delay-ms', '300']);
  const rules = await fetch(`${server.url}/api/v1/rules`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ rules: [{ name: 'few tools', kind: 'max_tool_calls', max: 2 }] }),
  });
  assert.equal(rules.status, 200, await rules.text());
  const sent = await postJson(server, key, jsonRequest([...agentRun(looping, 4), ...agentRun(fine, 1)]));
  assert.equal(sent.status, 200, sent.text);
});

after(async () => {
  await server?.stop();
  removeDir(dataDir);
});

test('a finished trace calling one tool again and again is flagged, and the list filters on it', async () => {
  assert.deepEqual(await tracesWith('score=trackly.finding.repeated_tool_call'), [looping]);
  const scores = await getJson(server, `/api/v1/scores?trace_id=${looping}`, key);
  const byName = Object.fromEntries(scores.json.data.map((s) => [s.name, s]));
  assert.equal(byName['trackly.finding.repeated_tool_call'].value, true);
  assert.equal(byName['trackly.finding.repeated_tool_call'].source, 'trackly');
  assert.match(byName['trackly.finding.repeated_tool_call'].comment, /search/);
  assert.ok(byName['trackly.stop_reason'], JSON.stringify(scores.json.data));
});

test('a process rule is checked on every finished trace; the list finds the runs that broke it', async () => {
  assert.deepEqual(await tracesWith('score=trackly.rule.few%20tools&score_max=0'), [looping]);
  assert.deepEqual(await tracesWith('score=trackly.rule.few%20tools&score_min=1'), [fine]);
  const scores = await getJson(server, `/api/v1/scores?trace_id=${looping}`, key);
  const rule = scores.json.data.find((s) => s.name === 'trackly.rule.few tools');
  assert.equal(rule.comment, '4 tool calls (at most 2)');
});

test('every finished trace gets a stop reason', async () => {
  const evaluated = await tracesWith('score=trackly.stop_reason');
  // The second trace may be evaluated a moment after the first.
  const deadline = Date.now() + 20_000;
  let ids = evaluated;
  while (ids.length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    ids = (await getJson(server, '/api/v1/traces?score=trackly.stop_reason', key)).json.data.map((t) => t.id);
  }
  assert.deepEqual(ids.sort(), [looping, fine].sort());
  const fineScores = await getJson(server, `/api/v1/scores?trace_id=${fine}`, key);
  assert.deepEqual(fineScores.json.data.map((s) => s.name).sort(), ['trackly.rule.few tools', 'trackly.stop_reason']);
});
