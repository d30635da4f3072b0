// Server-side redaction (docs/security.md): a canary secret sent in every free-text field of every
// wire format (OTLP/JSON, Langfuse ingestion, LangSmith runs and feedback) is replaced before it is
// stored, so after a graceful stop it appears in no file of the data directory (database, WAL,
// catalog) and in nothing the server logged; the API shows the replacement and the count.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDataDir, removeDir, createKey, getJson, dottedOrderSegment as segment } from './harness.mjs';
import { jsonSpan, jsonRequest, postJson, hex } from './otlp_payloads.mjs';

// An OpenAI-style project key: caught by the built-in "secrets" class, on by default.
const CANARY = `sk-proj-Canary${hex(16)}`;
const REPLACED = '[REDACTED:openai_key]';

let dataDir, server, keys;

before(async () => {
  dataDir = tempDataDir();
  keys = createKey(dataDir, { scopes: 'ingest,read' });
  server = await startServer(dataDir);
});

after(() => removeDir(dataDir));

function langfuseAuth() {
  return `Basic ${Buffer.from(`${keys.public_key}:${keys.secret_key}`).toString('base64')}`;
}


const otlpTraceId = hex(16);
const langfuseTraceId = randomUUID();
const langsmithRunId = randomUUID();

test('every wire format is redacted before it is stored', async () => {
  // OTLP/JSON: span name, attribute key and value, gen_ai messages, an event (a streamed chunk)
  // and the status message.
  const span = jsonSpan({
    traceId: otlpTraceId, name: `call ${CANARY}`,
    attrs: {
      'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `my key is ${CANARY}` }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `echo ${CANARY}` }] }]),
      [`custom.${CANARY}`]: 'attribute key', 'custom.value': CANARY,
      'langfuse.trace.tags': JSON.stringify([`tag-${CANARY}`]),
    },
    events: [{ name: 'ai.stream.chunk', timeUnixNano: String(BigInt(Date.now()) * 1000000n),
               attributes: [{ key: 'ai.response.text', value: { stringValue: `chunk ${CANARY}` } }] }],
    status: { code: 2, message: `401 for ${CANARY}` },
  });
  const otlp = await postJson(server, keys.key, jsonRequest([span]));
  assert.equal(otlp.status, 200, otlp.text);

  // Langfuse ingestion: trace, generation create + update (pieces), event, score comment.
  const now = Date.now();
  const at = (ms) => new Date(now - 60_000 + ms).toISOString();
  const event = (type, body, ms) => ({ id: randomUUID(), type, timestamp: at(ms), body });
  const langfuse = await fetch(`${server.url}/api/public/ingestion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: langfuseAuth() },
    body: JSON.stringify({ batch: [
      event('trace-create', { id: langfuseTraceId, name: `trace ${CANARY}`, timestamp: at(0), input: CANARY,
                              metadata: { note: CANARY }, tags: [CANARY] }, 0),
      event('generation-create', { id: 'gen', traceId: langfuseTraceId, name: 'gen', startTime: at(10), model: 'gpt-4o',
                                   input: [{ role: 'user', content: CANARY }], metadata: { k: CANARY } }, 10),
      event('generation-update', { id: 'gen', traceId: langfuseTraceId, endTime: at(500), output: { content: CANARY },
                                   statusMessage: CANARY }, 20),
      event('event-create', { id: 'ev', traceId: langfuseTraceId, name: CANARY, startTime: at(30), input: CANARY }, 30),
      event('score-create', { id: 'sc', traceId: langfuseTraceId, name: 'quality', value: 1, comment: `saw ${CANARY}` }, 40),
    ] }),
  });
  assert.equal(langfuse.status, 207);
  assert.deepEqual((await langfuse.json()).errors, []);

  // LangSmith: a run posted then patched, and feedback.
  const start = Date.now() - 1000;
  const post = await fetch(`${server.url}/langsmith/runs/batch`, {
    method: 'POST',
    headers: { 'x-api-key': keys.key, 'content-type': 'application/json' },
    body: JSON.stringify({ post: [{ id: langsmithRunId, trace_id: langsmithRunId, dotted_order: segment(start, langsmithRunId),
                                    name: `run ${CANARY}`, run_type: 'llm', start_time: start,
                                    inputs: { prompt: CANARY }, extra: { metadata: { k: CANARY } }, tags: [CANARY] }],
                           patch: [{ id: langsmithRunId, trace_id: langsmithRunId, dotted_order: segment(start, langsmithRunId),
                                     end_time: start + 500, outputs: { text: CANARY }, error: `failed with ${CANARY}` }] }),
  });
  assert.ok(post.status < 300, await post.text());
  const feedback = await fetch(`${server.url}/langsmith/feedback`, {
    method: 'POST',
    headers: { 'x-api-key': keys.key, 'content-type': 'application/json' },
    body: JSON.stringify({ id: randomUUID(), run_id: langsmithRunId, trace_id: langsmithRunId, key: 'tone', score: 1,
                           comment: `feedback ${CANARY}` }),
  });
  const feedbackText = await feedback.text();
  assert.equal(feedback.status, 200, feedbackText);
  assert.ok(!feedbackText.includes(CANARY), 'the feedback answer shows what was stored');

  // Through the API: the replacement, never the canary, and the count on the observations.
  for (const id of [otlpTraceId, langfuseTraceId, langsmithRunId]) {
    const { status, body, json } = await getJson(server, `/api/v1/traces/${id}`, keys.key);
    assert.equal(status, 200, body);
    assert.ok(!body.includes(CANARY), `trace ${id} has the canary:\n${body}`);
    assert.ok(body.includes(REPLACED), body);
    const redacted = json.observations.reduce((n, o) => n + (o.redactions ?? 0), 0);
    assert.ok(redacted > 0, `trace ${id} counts its redactions`);
  }
  const otlpTrace = (await getJson(server, `/api/v1/traces/${otlpTraceId}`, keys.key)).json;
  const stored = otlpTrace.observations[0];
  assert.equal(stored.name, `call ${REPLACED}`);
  assert.equal(stored.attributes['custom.value'], REPLACED);
  assert.ok(`custom.${REPLACED}` in stored.attributes);
  assert.equal(stored.status_message, `401 for ${REPLACED}`);
  assert.equal(stored.redactions, 8);  // name, both messages, attribute key and value, tag, chunk, status
});

test('after a graceful stop the canary is in no file of the data directory and nothing logged', async () => {
  const stderr = server.stderr();
  const { code } = await server.stop();
  assert.equal(code, 0);
  assert.ok(!stderr.includes(CANARY), 'the server logged the canary');
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
    assert.ok(!readFileSync(file).includes(Buffer.from(CANARY)), `${file} holds the canary`);
  }
});
