// Real client: the Vercel AI SDK (`ai` 7 with `@ai-sdk/openai` pointed at the local mock), its spans
// made by `@ai-sdk/otel` and exported by the standard OTLP/HTTP exporter to /v1/traces. Two
// telemetry integrations, one test each: LegacyOpenTelemetry (the `ai.*` spans of AI SDK 3–6) and
// OpenTelemetry (v7's GenAI semantic-convention spans). The same run for both: a tool-calling
// generateText (two model calls and a tool), a streamText, an embedMany and a failing generateText.
// Session, user and tags go in runtimeContext, which v7 writes as ai.settings.context.*.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MOCK_USAGE, MOCK_ANSWER, MOCK_ERROR_MESSAGE, expectedCost } from './openai_mock.mjs';
import { MatrixRow, useClientEnvironment, findTrace, assertCost } from './client_matrix.mjs';

const env = useClientEnvironment('vercel-ai', { otlpService: 'vercel-weather-bot' });

const RUNTIME_CONTEXT = { userId: 'user-ai', sessionId: 'sess-ai', tags: ['e2e', 'vercel'] };
const CHAT_INPUT = MOCK_USAGE.toolCall.prompt_tokens + MOCK_USAGE.chat.prompt_tokens + MOCK_USAGE.stream.prompt_tokens;
const CHAT_OUTPUT = MOCK_USAGE.toolCall.completion_tokens + MOCK_USAGE.chat.completion_tokens + MOCK_USAGE.stream.completion_tokens;
const EMBED_INPUT = 2 * MOCK_USAGE.embeddingPerInput;

// Runs the scenario under a root span named `rootName`; returns nothing (read back by name).
async function runScenario(rootName, integration) {
  const { trace } = await import('@opentelemetry/api');
  const { generateText, streamText, embedMany, tool, stepCountIs } = await import('ai');
  const { createOpenAI } = await import('@ai-sdk/openai');
  const { z } = await import('zod');
  const openai = createOpenAI({ baseURL: env.mock.baseURL, apiKey: 'sk-mock' });
  const telemetry = { isEnabled: true, functionId: 'weather-bot', integrations: integration,
                      includeRuntimeContext: { userId: true, sessionId: true, tags: true } };
  const common = { maxRetries: 0, telemetry, runtimeContext: RUNTIME_CONTEXT };
  const getWeather = tool({ description: 'Current weather', inputSchema: z.object({ city: z.string() }),
                            execute: async ({ city }) => ({ city, celsius: 18 }) });
  await trace.getTracer('weather-app').startActiveSpan(rootName, async (root) => {
    await generateText({ ...common, model: openai.chat('gpt-4o-mini'), prompt: 'Weather in Paris?', temperature: 0.2,
                         tools: { get_weather: getWeather }, stopWhen: stepCountIs(2) });
    const stream = streamText({ ...common, model: openai.chat('gpt-4o-mini'), prompt: 'What is the capital of France?' });
    assert.equal(await stream.text, MOCK_ANSWER);
    await embedMany({ ...common, model: openai.embedding('text-embedding-3-small'), values: ['Paris', 'France'] });
    await assert.rejects(generateText({ ...common, model: openai.chat('gpt-4o-mini'), prompt: 'FAIL on purpose' }));
    root.end();
  });
  await env.provider.forceFlush();
}

function byType(observations, type) {
  return observations.filter((o) => o.type === type).sort((a, b) => a.start_time.localeCompare(b.start_time));
}

// Checks shared by both integrations, given how each names and nests things.
async function checkCommon(row, { trace, observations }, { generations, tool, failed, embedding, parentOf }) {
  await row.check('structure', () => {
    const root = observations.find((o) => o.parent_id === null);
    assert.equal(root.type, 'span');
    assert.equal(generations.length, 4, 'two tool-loop steps, one stream, one failed call');
    assert.equal(tool.type, 'tool');
    assert.equal(tool.tool.name, 'get_weather');
    assert.deepEqual(tool.input, { city: 'Paris' });
    assert.deepEqual(tool.output, { city: 'Paris', celsius: 18 });
    for (const o of [...generations, tool, embedding]) assert.ok(parentOf(o), `${o.name} has its parent in the trace`);
    const [first, second] = generations;
    assert.equal(first.output[0].tool_calls[0].name, 'get_weather');
    assert.equal(second.input.at(-1).role, 'tool');
    assert.equal(second.output[0].content, MOCK_ANSWER);
    assert.equal(embedding.type, 'embedding');
  });
  await row.check('model', () => {
    for (const g of generations.slice(0, 3)) assert.equal(g.model, 'gpt-4o-mini-2024-07-18');
    assert.equal(generations[0].provider, 'openai');
    assert.equal(generations[0].model_parameters?.temperature, 0.2);
    assert.equal(embedding.model, 'text-embedding-3-small');
  });
  await row.check('tokens', () => {
    const [first, second, streamed] = generations;
    assert.deepEqual([first.usage.input_tokens, first.usage.output_tokens], [MOCK_USAGE.toolCall.prompt_tokens, MOCK_USAGE.toolCall.completion_tokens]);
    assert.deepEqual([second.usage.input_tokens, second.usage.output_tokens], [MOCK_USAGE.chat.prompt_tokens, MOCK_USAGE.chat.completion_tokens]);
    assert.deepEqual([streamed.usage.input_tokens, streamed.usage.output_tokens], [MOCK_USAGE.stream.prompt_tokens, MOCK_USAGE.stream.completion_tokens]);
    assert.equal(embedding.usage.input_tokens, EMBED_INPUT);
    // Outer spans repeat their children's usage; the trace counts each model call once (the
    // failed call may add an estimate of its prompt: the server estimates usage it was not sent).
    const modelCalls = [...generations, embedding];
    assert.equal(trace.usage.input_tokens, modelCalls.reduce((sum, o) => sum + o.usage.input_tokens, 0));
    assert.equal(trace.usage.output_tokens, modelCalls.reduce((sum, o) => sum + o.usage.output_tokens, 0));
    assert.ok(trace.usage.input_tokens >= CHAT_INPUT + EMBED_INPUT);
    assert.equal(trace.usage.output_tokens, CHAT_OUTPUT);
  });
  await row.check('cost', () => {
    assert.equal(generations[1].cost.source, 'computed');
    assertCost(generations[1].cost.total, expectedCost('gpt-4o-mini', MOCK_USAGE.chat.prompt_tokens, MOCK_USAGE.chat.completion_tokens), 'second step');
    assertCost(embedding.cost.total, expectedCost('text-embedding-3-small', EMBED_INPUT, 0), 'embedding');
    const [first, , streamed, failed] = generations;
    assertCost(first.cost.total, expectedCost('gpt-4o-mini', MOCK_USAGE.toolCall.prompt_tokens, MOCK_USAGE.toolCall.completion_tokens), 'first step');
    assertCost(streamed.cost.total, expectedCost('gpt-4o-mini', MOCK_USAGE.stream.prompt_tokens, MOCK_USAGE.stream.completion_tokens), 'stream');
    assertCost(trace.cost.total, expectedCost('gpt-4o-mini', CHAT_INPUT + failed.usage.input_tokens, CHAT_OUTPUT) +
                                 expectedCost('text-embedding-3-small', EMBED_INPUT, 0), 'trace');
  });
  await row.check('session/user', () => {
    assert.equal(trace.session_id, RUNTIME_CONTEXT.sessionId);
    assert.equal(trace.user_id, RUNTIME_CONTEXT.userId);
  });
  await row.check('tags', () => {
    assert.deepEqual([...trace.tags].sort(), RUNTIME_CONTEXT.tags);
  });
  await row.check('errors', () => {
    assert.equal(failed.status, 'error');
    assert.equal(failed.status_message, MOCK_ERROR_MESSAGE);
    assert.equal(failed.error_type, 'AI_APICallError');
    assert.equal(trace.status, 'error');
  });
}

test('Vercel AI SDK, legacy ai.* telemetry (LegacyOpenTelemetry)', async () => {
  const { server, key } = env;
  const { LegacyOpenTelemetry } = await import('@ai-sdk/otel');
  await runScenario('vercel-legacy-run', new LegacyOpenTelemetry());
  const row = new MatrixRow('ai 7.0.173 legacy ai.* (@ai-sdk/otel LegacyOpenTelemetry)');
  const detail = await findTrace(server, key, (t) => t.name === 'vercel-legacy-run');
  const { observations, one } = detail;
  const ids = new Map(observations.map((o) => [o.id, o]));
  const generations = byType(observations, 'generation');
  await checkCommon(row, detail, {
    generations,
    tool: one('get_weather'),
    failed: generations[3],
    embedding: one('weather-bot:ai.embedMany.doEmbed'),
    parentOf: (o) => ids.get(o.parent_id),
  });
  await row.check('structure', () => {
    // ai.generateText → ai.generateText.doGenerate ×2, the ai.toolCall under the step that asked
    // for it; outer spans are plain spans.
    const outer = observations.filter((o) => o.name === 'weather-bot:ai.generateText');
    assert.equal(outer.length, 2);
    assert.ok(outer.every((o) => o.type === 'span'));
    assert.equal(generations[0].parent_id, outer.find((o) => o.status !== 'error').id);
    assert.equal(generations[1].parent_id, generations[0].parent_id);
    assert.equal(one('get_weather').parent_id, generations[0].id);
    assert.equal(one('weather-bot:ai.embedMany').type, 'span');
  });
  row.finish();
});

test('Vercel AI SDK, v7 GenAI telemetry (@ai-sdk/otel OpenTelemetry)', async () => {
  const { server, key } = env;
  const { OpenTelemetry } = await import('@ai-sdk/otel');
  await runScenario('vercel-v7-run', new OpenTelemetry({ runtimeContext: true }));
  const row = new MatrixRow('ai 7.0.173 GenAI (@ai-sdk/otel OpenTelemetry)');
  const detail = await findTrace(server, key, (t) => t.name === 'vercel-v7-run');
  const { observations, one } = detail;
  const ids = new Map(observations.map((o) => [o.id, o]));
  const generations = byType(observations, 'generation');
  const embeddings = byType(observations, 'embedding');
  await checkCommon(row, detail, {
    generations,
    tool: one('get_weather'),  // execute_tool get_weather, named after gen_ai.tool.name
    failed: generations[3],
    embedding: embeddings.find((e) => e.usage.input_tokens > 0),
    parentOf: (o) => ids.get(o.parent_id),
  });
  await row.check('structure', () => {
    // invoke_agent → step N → chat / execute_tool; embeddings → embeddings (usage on the inner one).
    const agents = byType(observations, 'agent');
    assert.equal(agents.length, 3);
    assert.ok(agents.every((a) => a.name === 'invoke_agent gpt-4o-mini'));
    const stepOfFirst = ids.get(generations[0].parent_id);
    assert.equal(stepOfFirst.name, 'step 1');
    assert.equal(stepOfFirst.type, 'span');
    assert.equal(ids.get(stepOfFirst.parent_id).type, 'agent');
    assert.equal(embeddings.length, 2);
    assert.equal(embeddings.filter((e) => e.usage.input_tokens > 0).length, 1);
  });
  row.finish();
});
