// The real OpenTelemetry JS exporters (HTTP JSON and HTTP protobuf) send an agent run to the real
// binary; we read it back through /api/v1 and the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { trace, context, SpanStatusCode, SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { startServer, createKey, tempDataDir, removeDir, getJson, cli } from './harness.mjs';
import { MatrixRow } from './client_matrix.mjs';

let dataDir;
let server;
let key;

before(async () => {
  dataDir = tempDataDir();
  key = createKey(dataDir).key;
  server = await startServer(dataDir);
});

after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, 'graceful shutdown exits 0');
  removeDir(dataDir);
});

// Records a research-assistant run with GenAI attributes; returns its trace id.
async function recordRun(Exporter, label) {
  const exporter = new Exporter({ url: `${server.url}/v1/traces`, headers: { Authorization: `Bearer ${key}` } });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `research-assistant-${label}`, 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('trackly-e2e');
  let traceId;
  await tracer.startActiveSpan(`research_agent_run ${label}`, { attributes: { 'session.id': 'sess-e2e', 'user.id': 'user-42', 'tag.tags': ['e2e', 'otel'] } }, async (root) => {
    traceId = root.spanContext().traceId;
    const ctx = trace.setSpan(context.active(), root);
    const retrieve = tracer.startSpan('retrieve_context', { attributes: { 'openinference.span.kind': 'RETRIEVER', 'input.value': 'What is OTLP?' } }, ctx);
    retrieve.end();
    const llm = tracer.startSpan('chat gpt-4o', {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 812,
        'gen_ai.usage.output_tokens': 164,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'What is OTLP?' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'A protocol.' }], finish_reason: 'stop' }]),
      },
    }, ctx);
    llm.end();
    const tool = tracer.startSpan('execute_tool web_search', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'web_search' } }, ctx);
    tool.recordException(Object.assign(new Error('search backend timed out'), { name: 'TimeoutError' }));
    tool.setStatus({ code: SpanStatusCode.ERROR, message: 'search backend timed out' });
    tool.end();
    root.end();
  });
  await provider.forceFlush();
  await provider.shutdown();
  return traceId;
}

for (const [label, Exporter] of [['json', JsonExporter], ['protobuf', ProtoExporter]]) {
  test(`OTLP/HTTP ${label} exporter: the trace is readable through the API and the CLI`, async () => {
    const traceId = await recordRun(Exporter, label);
    const { status, json } = await getJson(server, `/api/v1/traces/${traceId}`, key);
    assert.equal(status, 200);
    const byName = Object.fromEntries(json.observations.map((o) => [o.name, o]));
    const root = byName[`research_agent_run ${label}`];
    const llm = byName['chat gpt-4o'];
    // Like Langfuse, a tool span is named after gen_ai.tool.name.
    const tool = byName.web_search;
    const row = new MatrixRow(`@opentelemetry/exporter-trace-otlp-${label === 'json' ? 'http' : 'proto'} 0.223.1 (OTLP/HTTP ${label})`);
    await row.check('structure', () => {
      assert.equal(json.trace.id, traceId);
      assert.equal(json.trace.name, `research_agent_run ${label}`);
      assert.equal(json.observations.length, 4);
      assert.equal(json.trace.counts.generations, 1);
      assert.equal(json.trace.counts.tool_calls, 1);
      assert.equal(json.trace.counts.retrievals, 1);
      assert.equal(root.parent_id, null);
      assert.equal(llm.type, 'generation');
      assert.equal(llm.parent_id, root.id);
      assert.deepEqual(llm.input[0].role, 'user');
      assert.equal(tool.type, 'tool');
      assert.equal(tool.tool.name, 'web_search');
      assert.equal(byName.retrieve_context.type, 'retriever');
    });
    await row.check('model', () => {
      assert.equal(llm.model, 'gpt-4o-2024-08-06');
      assert.equal(llm.provider, 'openai');
    });
    await row.check('tokens', () => {
      assert.equal(llm.usage.input_tokens, 812);
      assert.equal(json.trace.usage.input_tokens, 812);
      assert.equal(json.trace.usage.output_tokens, 164);
    });
    await row.check('cost', () => {
      assert.equal(llm.cost.source, 'computed');
      assert.ok(llm.cost.total > 0);
      assert.equal(json.trace.cost.total, llm.cost.total);
    });
    await row.check('session/user', () => {
      assert.equal(json.trace.session_id, 'sess-e2e');
      assert.equal(json.trace.user_id, 'user-42');
    });
    await row.check('tags', () => assert.deepEqual(json.trace.tags, ['e2e', 'otel']));
    await row.check('errors', () => {
      assert.equal(tool.status, 'error');
      assert.equal(tool.error_type, 'TimeoutError');
      assert.match(tool.status_message, /timed out/);
      assert.equal(json.trace.status, 'error');
    });
    row.finish();

    // The trace list finds it by session and the CLI shows the same trace.
    const list = await getJson(server, `/api/v1/traces?session_id=sess-e2e&limit=10`, key);
    assert.equal(list.status, 200);
    assert.ok(list.json.data.some((t) => t.id === traceId));
    const viaCli = JSON.parse(cli(['trace', traceId, '--data', dataDir, '--json']));
    assert.equal(viaCli.trace.id, traceId);
    assert.equal(viaCli.observations.length, 4);
    const tree = cli(['trace', traceId, '--data', dataDir]);
    assert.match(tree, /chat gpt-4o/);
    assert.match(tree, /web_search/);
  });
}
