// The real-client matrix: each client_*.test.mjs file runs one real SDK from npm against the real
// binary (LLM calls go to openai_mock.mjs) and records one row per client: for each check ✓ or ✗,
// or – where the client has no way to express the thing. node --test runs each file in its own
// process, so rows are JSON files in a shared folder (TRACKLY_CLIENT_MATRIX_DIR; CTest empties it
// before the run), and every finished row rewrites MATRIX_FILE, the table of all rows so far, which
// scripts/test.sh prints after the tests.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, startServer, createKey, tempDataDir, removeDir } from './harness.mjs';
import { startOpenAIMock, MOCK_USAGE, MOCK_ERROR_MESSAGE, expectedCost } from './openai_mock.mjs';

export const CHECKS = ['structure', 'model', 'tokens', 'cost', 'session/user', 'tags', 'errors'];

export const MATRIX_DIR = process.env.TRACKLY_CLIENT_MATRIX_DIR ?? join(tmpdir(), 'trackly-client-matrix');
export const MATRIX_FILE = join(MATRIX_DIR, 'matrix.txt');

// What the SDKs must not do during tests: phone home or look for cloud credentials.
export function quietSdkEnvironment() {
  Object.assign(process.env, {
    TRACELOOP_TELEMETRY: 'false',
    LANGFUSE_MEDIA_UPLOAD_ENABLED: 'false',
    LANGCHAIN_TRACING_V2: 'false',
    LANGSMITH_TRACING: 'false',
    OPENAI_API_KEY: 'sk-mock',
  });
}

// Registers the before/after hooks every client file needs: quiet SDK environment, a server with a
// fresh data dir, a key of `project`, and the OpenAI mock. The returned object is filled in by the
// before hook: { server, keyPair (createKey's result), key (its bearer secret), mock }. `configure`
// runs once all of that is up (to point the client's env vars at the server); with
// `otlpService`, a registered OTLP provider (registerOtlpProvider) is made and shut down too.
export function useClientEnvironment(project, { configure, otlpService } = {}) {
  const env = {};
  let dataDir;
  before(async () => {
    quietSdkEnvironment();
    dataDir = tempDataDir();
    env.keyPair = createKey(dataDir, { project });
    env.key = env.keyPair.key;
    env.server = await startServer(dataDir);
    env.mock = await startOpenAIMock();
    if (otlpService) env.provider = await registerOtlpProvider(env.server, env.key, otlpService);
    configure?.(env);
  });
  after(async () => {
    await env.provider?.shutdown();
    await env.mock.close();
    const { code } = await env.server.stop();
    assert.equal(code, 0, 'graceful shutdown exits 0');
    removeDir(dataDir);
  });
  return env;
}

// One row of the matrix. check() runs an assertion block and records ✓ or ✗ (with the message);
// finish() saves the row and fails the test if any check failed.
export class MatrixRow {
  constructor(client) {
    this.client = client;
    this.cells = {};
    this.failures = [];
  }

  async check(name, fn) {
    assert.ok(CHECKS.includes(name), `unknown check ${name}`);
    try {
      await fn();
      if (this.cells[name] !== '✗') this.cells[name] = '✓';
    } catch (e) {
      this.cells[name] = '✗';
      this.failures.push(`${name}: ${e.message}`);
    }
  }

  notApplicable(name) {
    this.cells[name] = '–';
  }

  finish() {
    mkdirSync(MATRIX_DIR, { recursive: true });
    const file = join(MATRIX_DIR, `${this.client.replace(/[^\w.-]+/g, '_')}.json`);
    const row = { client: this.client, cells: this.cells, failures: this.failures };
    writeFileSync(file, JSON.stringify(row));
    writeFileSync(MATRIX_FILE, `Real-client matrix (✓ passed, ✗ failed, – the client cannot express it):\n${formatMatrix(readMatrixRows())}\n`);
    console.log(formatMatrix([row]));
    assert.deepEqual(this.failures, [], `${this.client}: checks failed`);
  }
}

function readMatrixRows() {
  return readdirSync(MATRIX_DIR).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(readFileSync(join(MATRIX_DIR, f), 'utf8')));
}

function formatMatrix(rows) {
  const header = ['client', ...CHECKS];
  const table = rows.map((r) => [r.client, ...CHECKS.map((c) => r.cells[c] ?? '?')]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...table.map(line)];
  for (const r of rows) for (const f of r.failures) out.push(`✗ ${r.client} — ${f}`);
  return out.join('\n');
}

// The detail of the one trace the predicate picks, with observations indexed by name. With
// TRACKLY_CLIENT_MATRIX_DUMP=FILE the detail is also written there, to see what a client produced.
export async function findTrace(server, key, predicate) {
  const list = await getJson(server, '/api/v1/traces?limit=100', key);
  assert.equal(list.status, 200, list.body);
  const found = list.json.data.filter(predicate);
  assert.equal(found.length, 1, `one matching trace among ${JSON.stringify(list.json.data.map((t) => t.name))}`);
  const { status, json, body } = await getJson(server, `/api/v1/traces/${found[0].id}`, key);
  assert.equal(status, 200, body);
  if (process.env.TRACKLY_CLIENT_MATRIX_DUMP) writeFileSync(process.env.TRACKLY_CLIENT_MATRIX_DUMP, JSON.stringify(json, null, 1));
  const byName = {};
  for (const o of json.observations) (byName[o.name] ??= []).push(o);
  return { trace: json.trace, observations: json.observations, byName,
           one: (name) => { assert.equal(byName[name]?.length, 1, `one observation named ${name} in ${Object.keys(byName)}`); return byName[name][0]; } };
}

// A cost equal to the expected one up to float rounding.
export function assertCost(actual, expected, what) {
  assert.ok(actual !== null && actual !== undefined, `${what}: no cost`);
  assert.ok(Math.abs(actual - expected) <= 1e-12 + expected * 1e-9, `${what}: cost ${actual}, expected ${expected}`);
}

// A registered NodeTracerProvider (AsyncLocalStorage context, so instrumented calls nest under the
// active span) exporting each span at once with the OTLP/HTTP JSON exporter, configured only by the
// standard OTEL_EXPORTER_OTLP_TRACES_* env vars of docs/integrations.md.
export async function registerOtlpProvider(server, key, serviceName) {
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${server.url}/v1/traces`;
  process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = `Authorization=Bearer%20${key}`;
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  return provider;
}

// The checks both Langfuse clients share: one gpt-4o-mini generation `answer` (temperature 0.2) with
// the mock's chat usage, computed cost rolled up to the trace, a failing tool `get_weather` that
// marks the trace as failed, and the given session, user and tags.
export async function checkLangfuseRow(row, { trace, one }, { session, user, tags }) {
  await row.check('model', () => {
    assert.equal(one('answer').model, 'gpt-4o-mini-2024-07-18');
    assert.equal(one('answer').model_parameters?.temperature, 0.2);
  });
  await row.check('tokens', () => {
    assert.equal(one('answer').usage.input_tokens, MOCK_USAGE.chat.prompt_tokens);
    assert.equal(one('answer').usage.output_tokens, MOCK_USAGE.chat.completion_tokens);
    assert.equal(trace.usage.input_tokens, MOCK_USAGE.chat.prompt_tokens);
    assert.equal(trace.usage.output_tokens, MOCK_USAGE.chat.completion_tokens);
  });
  await row.check('cost', () => {
    const cost = expectedCost('gpt-4o-mini', MOCK_USAGE.chat.prompt_tokens, MOCK_USAGE.chat.completion_tokens);
    assert.equal(one('answer').cost.source, 'computed');
    assertCost(one('answer').cost.total, cost, 'generation');
    assertCost(trace.cost.total, cost, 'trace');
  });
  await row.check('session/user', () => {
    assert.equal(trace.session_id, session);
    assert.equal(trace.user_id, user);
  });
  await row.check('tags', () => {
    assert.deepEqual([...trace.tags].sort(), tags);
  });
  await row.check('errors', () => {
    const tool = one('get_weather');
    assert.equal(tool.status, 'error');
    assert.equal(tool.level, 'ERROR');
    assert.match(tool.status_message, new RegExp(MOCK_ERROR_MESSAGE.slice(0, 20)));
    assert.equal(trace.status, 'error');
  });
}

// The checks both LangChain JS clients share, for a prompt | ChatOpenAI | parser run `ok` and a
// failing run `failing` (findTrace results): the mock's chat usage and its computed cost on the
// model call and the trace, the given session and user on both traces, and `tags` on `ok`.
export async function checkLangChainRuns(row, { ok, failing }, { session, user, tags }) {
  const llm = ok.one('ChatOpenAI');
  await row.check('tokens', () => {
    assert.equal(llm.usage.input_tokens, MOCK_USAGE.chat.prompt_tokens);
    assert.equal(llm.usage.output_tokens, MOCK_USAGE.chat.completion_tokens);
    assert.equal(ok.trace.usage.input_tokens, MOCK_USAGE.chat.prompt_tokens);
  });
  await row.check('cost', () => {
    const cost = expectedCost('gpt-4o-mini', MOCK_USAGE.chat.prompt_tokens, MOCK_USAGE.chat.completion_tokens);
    assert.equal(llm.cost.source, 'computed');
    assertCost(llm.cost.total, cost, 'generation');
    assertCost(ok.trace.cost.total, cost, 'trace');
  });
  await row.check('session/user', () => {
    for (const { trace } of [ok, failing]) {
      assert.equal(trace.session_id, session);
      assert.equal(trace.user_id, user);
    }
  });
  await row.check('tags', () => {
    assert.deepEqual([...ok.trace.tags].sort(), tags);
  });
}
