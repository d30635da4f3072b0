// Per-project redaction rules (docs/security.md "Custom rules") set with `trackly redaction set`: a
// key rule, a pattern and a JSON path each hide a canary sent through OTLP/JSON, Langfuse ingestion
// and LangSmith runs and feedback, so after a graceful stop no canary is in any file of the data
// directory; another project without rules keeps its data as sent; the change is audited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDataDir, removeDir, createKey, cli, getJson, dottedOrderSegment as segment } from './harness.mjs';
import { jsonSpan, jsonRequest, postJson, hex } from './otlp_payloads.mjs';

const KEY_CANARY = `Zq9Key${hex(8)}`;      // under the key "app.user_token" (rule: app.user_*)
const TEXT_CANARY = `TCK-${Date.now()}`;      // in free text (rule: TCK-[0-9]+)
const PATH_CANARY = `Zq9Path${hex(8)}`;     // at $.user.email of the metadata
const CANARIES = [KEY_CANARY, TEXT_CANARY, PATH_CANARY];

let dataDir, server, keys, otherKeys;

before(async () => {
  dataDir = tempDataDir();
  keys = createKey(dataDir, { project: 'ruled', scopes: 'ingest,read,admin' });
  otherKeys = createKey(dataDir, { project: 'plain', scopes: 'ingest,read' });
  const rulesFile = join(dataDir, 'rules.json');  // holds no canary, so the file scan may see it
  writeFileSync(rulesFile, JSON.stringify({ rules: [
    { name: 'user_attr', kind: 'key', value: 'app.user_*' },
    { name: 'ticket', kind: 'pattern', value: 'TCK-[0-9]+' },
    { name: 'email', kind: 'path', value: '$.user.email' },
  ] }));
  // A bad rule is refused, naming it, and changes nothing.
  const badFile = `${rulesFile}.bad`;
  writeFileSync(badFile, JSON.stringify({ rules: [{ name: 'broken', kind: 'pattern', value: '(x' }] }));
  assert.throws(() => cli(['redaction', 'set', '--project', 'ruled', '--file', badFile, '--data', dataDir]),
                (e) => String(e.stderr).includes('rule "broken": invalid RE2 pattern'));
  cli(['redaction', 'set', '--project', 'ruled', '--file', rulesFile, '--data', dataDir]);
  const shown = JSON.parse(cli(['redaction', 'show', '--project', 'ruled', '--data', dataDir, '--json']));
  assert.deepEqual(shown.rules.map((r) => r.name), ['user_attr', 'ticket', 'email']);
  server = await startServer(dataDir);
});

after(() => removeDir(dataDir));

const otlpTraceId = hex(16);
const langfuseTraceId = randomUUID();
const langsmithRunId = randomUUID();
const metadata = { user: { email: PATH_CANARY, id: 'u1' }, 'app.user_token': KEY_CANARY };

test('rules set with the CLI redact every wire format of their project', async () => {
  const span = (traceId, user, text, email) => jsonSpan({
    traceId, name: 'chat',
    attrs: {
      'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `about ${text}` }] }]),
      'app.user_token': user,
      metadata: JSON.stringify({ user: { email } }),
    },
  });
  const otlp = await postJson(server, keys.key, jsonRequest([span(otlpTraceId, KEY_CANARY, TEXT_CANARY, PATH_CANARY)]));
  assert.equal(otlp.status, 200, otlp.text);
  // The project without rules keeps its data as sent.
  const plain = await postJson(server, otherKeys.key, jsonRequest([span(otlpTraceId, 'plain-user', 'TCK-1', 'plain@x.io')]));
  assert.equal(plain.status, 200, plain.text);

  const now = Date.now();
  const at = (ms) => new Date(now - 60_000 + ms).toISOString();
  const event = (type, body, ms) => ({ id: randomUUID(), type, timestamp: at(ms), body });
  const langfuse = await fetch(`${server.url}/api/public/ingestion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json',
               authorization: `Basic ${Buffer.from(`${keys.public_key}:${keys.secret_key}`).toString('base64')}` },
    body: JSON.stringify({ batch: [
      event('trace-create', { id: langfuseTraceId, name: 'trace', timestamp: at(0), input: `see ${TEXT_CANARY}`, metadata }, 0),
      event('generation-create', { id: 'gen', traceId: langfuseTraceId, name: 'gen', startTime: at(10), model: 'gpt-4o',
                                   input: { text: TEXT_CANARY }, metadata }, 10),
      event('score-create', { id: 'sc', traceId: langfuseTraceId, name: 'quality', value: 1, comment: `saw ${TEXT_CANARY}` }, 40),
    ] }),
  });
  assert.equal(langfuse.status, 207);
  assert.deepEqual((await langfuse.json()).errors, []);

  const start = Date.now() - 1000;
  const runs = await fetch(`${server.url}/langsmith/runs/batch`, {
    method: 'POST',
    headers: { 'x-api-key': keys.key, 'content-type': 'application/json' },
    body: JSON.stringify({ post: [{ id: langsmithRunId, trace_id: langsmithRunId, dotted_order: segment(start, langsmithRunId),
                                    name: 'run', run_type: 'llm', start_time: start, end_time: start + 500,
                                    inputs: { prompt: TEXT_CANARY, 'app.user_token': KEY_CANARY },
                                    extra: { metadata } }] }),
  });
  assert.ok(runs.status < 300, await runs.text());
  const feedback = await fetch(`${server.url}/langsmith/feedback`, {
    method: 'POST',
    headers: { 'x-api-key': keys.key, 'content-type': 'application/json' },
    body: JSON.stringify({ id: randomUUID(), run_id: langsmithRunId, trace_id: langsmithRunId, key: 'tone', score: 1,
                           comment: `feedback ${TEXT_CANARY}` }),
  });
  assert.equal(feedback.status, 200, await feedback.text());

  for (const id of [otlpTraceId, langfuseTraceId, langsmithRunId]) {
    const { status, body, json } = await getJson(server, `/api/v1/traces/${id}`, keys.key);
    assert.equal(status, 200, body);
    for (const canary of CANARIES) assert.ok(!body.includes(canary), `trace ${id} has ${canary}:\n${body}`);
    assert.ok(json.observations.reduce((n, o) => n + (o.redactions ?? 0), 0) > 0, `trace ${id} counts its redactions`);
  }
  const stored = (await getJson(server, `/api/v1/traces/${otlpTraceId}`, keys.key)).json.observations[0];
  assert.equal(stored.attributes['app.user_token'], '[REDACTED:user_attr]');
  assert.equal(stored.metadata.user.email, '[REDACTED:email]');
  assert.equal(stored.redactions, 3);
  const other = (await getJson(server, `/api/v1/traces/${otlpTraceId}`, otherKeys.key)).json.observations[0];
  assert.equal(other.attributes['app.user_token'], 'plain-user');
  assert.equal(other.metadata.user.email, 'plain@x.io');

  const api = await getJson(server, '/api/v1/redaction', keys.key);
  assert.equal(api.status, 200, api.body);
  assert.equal(api.json.rules.length, 3);
  const audit = await getJson(server, '/api/v1/audit?action=redaction.update', keys.key);
  assert.equal(audit.status, 200, audit.body);
  assert.equal(audit.json.data.length, 1, audit.body);
  assert.match(audit.json.data[0].actor, /^cli:/);
});

test('after a graceful stop no canary is in any file of the data directory', async () => {
  const { code } = await server.stop();
  assert.equal(code, 0);
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path); else files.push(path);
    }
  };
  walk(dataDir);
  assert.ok(files.some((f) => f.endsWith('store.db')), files.join('\n'));
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const canary of CANARIES) assert.ok(!bytes.includes(Buffer.from(canary)), `${file} holds ${canary}`);
  }
});
