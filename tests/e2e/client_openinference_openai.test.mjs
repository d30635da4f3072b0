// Real client: `@arizeai/openinference-instrumentation-openai` around the real `openai` client,
// exported with the standard OTLP/HTTP exporter to /v1/traces. Session, user and tags come from
// `@arizeai/openinference-core`'s context helpers, the root agent span from its traceAgent wrapper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MOCK_USAGE, MOCK_ANSWER, expectedCost } from './openai_mock.mjs';
import { MatrixRow, useClientEnvironment, findTrace, assertCost, registerOtlpProvider } from './client_matrix.mjs';

const env = useClientEnvironment('openinference');

test('OpenInference OpenAI instrumentation: chat, streamed chat, embeddings and a failing tool', async () => {
  const { server, key, mock } = env;
  const provider = await registerOtlpProvider(server, key, 'oi-assistant');
  const { context } = await import('@opentelemetry/api');
  const { OpenAIInstrumentation } = await import('@arizeai/openinference-instrumentation-openai');
  const { setSession, setUser, setTags, traceAgent, traceTool } = await import('@arizeai/openinference-core');
  const openaiModule = await import('openai');
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(openaiModule);  // ESM import: the require hook does not see it
  const openai = new openaiModule.OpenAI({ baseURL: mock.baseURL, maxRetries: 0 });

  const weather = traceTool(async () => { throw new TypeError('weather backend unavailable'); }, { name: 'get_weather' });
  const agent = traceAgent(async (question) => {
    const messages = [{ role: 'user', content: question }];
    const plain = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.3 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['Paris', 'France'] });
    // A failed OpenAI call cannot be shown: 4.2.7 ends the span only on a synchronous throw, so a
    // rejected request (HTTP 400) leaves its span open and it is never exported. A failing tool
    // (traceTool records the exception and the error status) stands in for it.
    await weather('Paris').catch(() => { /* recorded on the span */ });
    return `${plain.choices[0].message.content} / ${streamed}`;
  }, { name: 'oi-agent' });
  let ctx = setSession(context.active(), { sessionId: 'sess-oi' });
  ctx = setUser(ctx, { userId: 'user-oi' });
  ctx = setTags(ctx, ['e2e', 'openinference']);
  await context.with(ctx, () => agent('What is the capital of France?'));
  await provider.forceFlush();
  await provider.shutdown();
  instrumentation.disable();

  const row = new MatrixRow('@arizeai/openinference-instrumentation-openai 4.2.7');
  const { trace, observations, byName, one } = await findTrace(server, key, (t) => t.name === 'oi-agent');
  const chats = (byName['OpenAI Chat Completions'] ?? []).sort((a, b) => a.start_time.localeCompare(b.start_time));
  const [plain, streamed] = chats;
  const failed = () => one('get_weather');
  const embedding = () => one('OpenAI Embeddings');
  await row.check('structure', () => {
    assert.equal(observations.length, 5);  // agent, 2 chats, embeddings, tool
    const root = one('oi-agent');
    assert.equal(root.type, 'agent');
    assert.equal(root.parent_id, null);
    assert.equal(chats.length, 2);
    assert.equal(failed().type, 'tool');
    assert.equal(failed().parent_id, root.id);
    for (const c of chats) {
      assert.equal(c.type, 'generation');
      assert.equal(c.parent_id, root.id);
    }
    assert.equal(embedding().type, 'embedding');
    assert.equal(embedding().parent_id, root.id);
    assert.equal(plain.input[0].role, 'user');
    assert.equal(plain.output[0].content, MOCK_ANSWER);
    assert.equal(streamed.output[0]?.content ?? streamed.output, MOCK_ANSWER);
  });
  await row.check('model', () => {
    assert.equal(plain.model, 'gpt-4o-mini-2024-07-18');
    assert.equal(plain.provider, 'openai');
    assert.equal(plain.model_parameters?.temperature, 0.3);
    assert.equal(embedding().model, 'text-embedding-3-small');
  });
  await row.check('tokens', () => {
    assert.equal(plain.usage.input_tokens, MOCK_USAGE.chat.prompt_tokens);
    assert.equal(plain.usage.output_tokens, MOCK_USAGE.chat.completion_tokens);
    // 4.2.7 records no token counts for streamed chats (it ignores the include_usage chunk) nor
    // for embeddings, so those two carry only what the server may estimate.
    assert.ok(trace.usage.input_tokens >= MOCK_USAGE.chat.prompt_tokens);
  });
  await row.check('cost', () => {
    assertCost(plain.cost.total, expectedCost('gpt-4o-mini', MOCK_USAGE.chat.prompt_tokens, MOCK_USAGE.chat.completion_tokens), 'chat');
    assert.equal(plain.cost.source, 'computed');
  });
  await row.check('session/user', () => {
    assert.equal(trace.session_id, 'sess-oi');
    assert.equal(trace.user_id, 'user-oi');
  });
  await row.check('tags', () => {
    assert.deepEqual([...trace.tags].sort(), ['e2e', 'openinference']);
  });
  await row.check('errors', () => {
    assert.equal(failed().status, 'error');
    assert.equal(failed().status_message, 'weather backend unavailable');
    assert.equal(failed().error_type, 'TypeError');
    assert.equal(trace.status, 'error');
    assert.equal(plain.status, 'ok');
  });
  row.finish();
});
