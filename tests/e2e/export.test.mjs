// Export (docs/api.md "Export"): a project's traces as OTLP/JSON re-ingested into a second trackly
// recreate the same traces (names, tree, types, models, usage, input, output, status), whatever
// format they first came in (OTLP with GenAI attributes, Langfuse with non-hex ids); JSON lines
// hold one trace per line; `trackly export` writes a file; each export is in the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, createKey, getJson, removeDir, startServer, tempDataDir } from './harness.mjs';

let source;
let target;
let sourceDir;
let targetDir;
let sourceKey;
let adminKey;
let targetKey;
const otlpTraceId = randomBytes(16).toString('hex');
const langfuseTraceId = `lf-${randomUUID()}`;

const attr = (key, value) => ({ key, value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value } });

before(async () => {
  sourceDir = tempDataDir();
  targetDir = tempDataDir();
  sourceKey = createKey(sourceDir, { project: 'src' });
  adminKey = createKey(sourceDir, { project: 'src', scopes: 'read,admin' });
  targetKey = createKey(targetDir, { project: 'dst' });
  source = await startServer(sourceDir);
  target = await startServer(targetDir);

  const now = BigInt(Date.now() - 60_000) * 1_000_000n;
  const root = randomBytes(8).toString('hex');
  const llm = randomBytes(8).toString('hex');
  const tool = randomBytes(8).toString('hex');
  const span = (spanId, parentSpanId, name, fromMs, toMs, attributes, status) => ({
    traceId: otlpTraceId, spanId, parentSpanId, name, attributes, status,
    startTimeUnixNano: String(now + BigInt(fromMs) * 1_000_000n), endTimeUnixNano: String(now + BigInt(toMs) * 1_000_000n),
  });
  const otlp = { resourceSpans: [{ resource: { attributes: [attr('service.name', 'support-bot')] }, scopeSpans: [{ spans: [
    span(root, undefined, 'support-agent', 0, 900, [attr('session.id', 's-1'), attr('user.id', 'u-1')]),
    span(llm, root, 'chat gpt-4o', 10, 600, [attr('gen_ai.operation.name', 'chat'), attr('gen_ai.request.model', 'gpt-4o'),
      attr('gen_ai.provider.name', 'openai'), attr('gen_ai.usage.input_tokens', 120), attr('gen_ai.usage.output_tokens', 30),
      attr('gen_ai.input.messages', JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Where is my order?' }] }])),
      attr('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'On its way.' }] }]))]),
    span(tool, root, 'execute_tool lookup', 610, 800, [attr('gen_ai.operation.name', 'execute_tool'), attr('gen_ai.tool.name', 'lookup')],
      { code: 2, message: 'order service timed out' }),
  ] }] }] };
  let res = await fetch(`${source.url}/v1/traces`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${sourceKey.key}` },
    body: JSON.stringify(otlp),
  });
  assert.equal(res.status, 200);

  const at = (ms) => new Date(Date.now() - 50_000 + ms).toISOString();
  const ev = (type, body, ms) => ({ id: randomUUID(), type, timestamp: at(ms), body });
  res = await fetch(`${source.url}/api/public/ingestion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${sourceKey.public_key}:${sourceKey.secret_key}`).toString('base64')}` },
    body: JSON.stringify({ batch: [
      ev('trace-create', { id: langfuseTraceId, name: 'summarize', timestamp: at(0), userId: 'u-2', tags: ['beta'] }, 0),
      ev('generation-create', { id: 'gen-1', traceId: langfuseTraceId, name: 'draft', startTime: at(10), endTime: at(400),
        model: 'claude-3-5-sonnet', input: [{ role: 'user', content: 'Summarize this' }], output: { role: 'assistant', content: 'Short.' },
        usageDetails: { input: 50, output: 5 } }, 10),
    ] }),
  });
  assert.equal(res.status, 207);
});

after(async () => {
  for (const server of [source, target]) if (server) assert.equal((await server.stop()).code, 0);
  removeDir(sourceDir);
  removeDir(targetDir);
});

async function trace(server, key, id) {
  const { status, json, body } = await getJson(server, `/api/v1/traces/${id}`, key);
  assert.equal(status, 200, body);
  return json;
}

// What must survive the round trip, per observation, keyed by name (unique in these traces).
function shape(detail) {
  const byId = new Map(detail.observations.map((o) => [o.id, o]));
  return Object.fromEntries(detail.observations.map((o) => [o.name, {
    parent: o.parent_id ? byId.get(o.parent_id)?.name : null, type: o.type, status: o.status, model: o.model,
    input_tokens: o.usage.input_tokens, output_tokens: o.usage.output_tokens, input: o.input, output: o.output,
    status_message: o.status_message,
  }]));
}

test('an OTLP export re-ingested elsewhere recreates the same traces', async () => {
  const res = await fetch(`${source.url}/api/v1/export?format=otlp&limit=100`, { headers: { authorization: `Bearer ${sourceKey.key}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition'), /attachment/);
  const exported = await res.text();
  const request = JSON.parse(exported);
  assert.equal(request.resourceSpans.length, 2);

  const posted = await fetch(`${target.url}/v1/traces`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${targetKey.key}` }, body: exported,
  });
  assert.equal(posted.status, 200, await posted.text());

  const original = await trace(source, sourceKey.key, otlpTraceId);
  const copy = await trace(target, targetKey.key, otlpTraceId);
  assert.deepEqual(shape(copy), shape(original));
  assert.deepEqual(shape(original)['chat gpt-4o'].input, [{ role: 'user', content: 'Where is my order?' }]);
  assert.equal(shape(original).lookup.status, 'error');
  assert.equal(copy.trace.session_id, 's-1');
  assert.equal(copy.trace.user_id, 'u-1');
  assert.equal(copy.trace.cost.total, original.trace.cost.total);

  // The Langfuse trace's ids are not OTLP ids: the copy has hashed ids and keeps the original.
  const list = (await getJson(target, '/api/v1/traces?name=summarize', targetKey.key)).json.data;
  assert.equal(list.length, 1);
  const lfCopy = await trace(target, targetKey.key, list[0].id);
  const lfOriginal = await trace(source, sourceKey.key, langfuseTraceId);
  assert.deepEqual(shape(lfCopy), shape(lfOriginal));
  assert.equal(lfCopy.observations.find((o) => o.name === 'draft').attributes['trackly.observation.id'], 'gen-1');
  assert.deepEqual(lfCopy.trace.tags, ['beta']);
});

test('JSON lines hold one whole trace per line, and the next page is named', async () => {
  const res = await fetch(`${source.url}/api/v1/export?format=jsonl&limit=1`, { headers: { authorization: `Bearer ${sourceKey.key}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.ok(lines[0].trace.id && lines[0].observations.length > 0);
  const next = res.headers.get('x-trackly-next-cursor');
  assert.ok(next);
  const rest = await fetch(`${source.url}/api/v1/export?format=jsonl&limit=1&cursor=${encodeURIComponent(next)}`,
    { headers: { authorization: `Bearer ${sourceKey.key}` } });
  const second = JSON.parse((await rest.text()).trim());
  assert.notEqual(second.trace.id, lines[0].trace.id);
  assert.equal(rest.headers.get('x-trackly-next-cursor'), null);

  const bad = await fetch(`${source.url}/api/v1/export?format=csv`, { headers: { authorization: `Bearer ${sourceKey.key}` } });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error.message, /format/);
});

test('trackly export writes a file, and every export is in the audit log', async () => {
  const file = join(sourceDir, 'export.jsonl');
  cli(['export', '--project', 'src', '--format', 'jsonl', '--out', file, '--name', 'support-agent', '--data', sourceDir]);
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.trace.id), [otlpTraceId]);
  const audit = (await getJson(source, '/api/v1/audit?action=traces.export', adminKey.key)).json.data;
  assert.ok(audit.some((e) => e.actor.startsWith('cli:') && e.details.traces === 1), JSON.stringify(audit));
  assert.ok(audit.some((e) => e.actor === `key:${sourceKey.id}` && e.details.filters.format === 'otlp'), JSON.stringify(audit));
});
