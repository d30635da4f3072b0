// Real client: `@traceloop/node-server-sdk` (OpenLLMetry) instrumenting the real `openai` client,
// pointed at Trackly only through TRACELOOP_BASE_URL and TRACELOOP_API_KEY (its own OTLP/HTTP
// protobuf exporter, Bearer auth), as docs/integrations.md says.
//
// What 0.27.0 cannot express, so the matrix shows – for it: tags (no such concept), and errors —
// neither its decorators (withTool, withTask, …) nor its OpenAI instrumentation end the span of a
// call that rejects, so a failed call is never exported at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MOCK_USAGE, MOCK_ANSWER, expectedCost } from './openai_mock.mjs';
import { MatrixRow, useClientEnvironment, findTrace, assertCost } from './client_matrix.mjs';

const env = useClientEnvironment('traceloop', {
  configure: (env) => {
    process.env.TRACELOOP_BASE_URL = env.server.url;
    process.env.TRACELOOP_API_KEY = env.key;
  },
});

test('Traceloop SDK: workflow, task, tool and OpenAI chats (plain and streamed)', async () => {
  const { server, key, mock } = env;
  const traceloop = await import('@traceloop/node-server-sdk');
  const { default: OpenAI } = await import('openai');
  traceloop.initialize({ appName: 'tl-assistant', disableBatch: true, silenceInitializationMessage: true,
                         instrumentModules: { openAI: OpenAI } });
  const openai = new OpenAI({ baseURL: mock.baseURL, maxRetries: 0 });

  await traceloop.withAssociationProperties({ user_id: 'user-tl', session_id: 'sess-tl' }, () =>
    traceloop.withWorkflow({ name: 'tl_support' }, async () => {
      await traceloop.withTask({ name: 'answer' }, async () => {
        const messages = [{ role: 'user', content: 'What is the capital of France?' }];
        await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.1 });
        const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
        for await (const chunk of stream) { void chunk; }
      });
      await traceloop.withTool({ name: 'get_weather' }, async (city) => ({ city, celsius: 18 }), 'Paris');
    }));
  await traceloop.forceFlush();

  const row = new MatrixRow('@traceloop/node-server-sdk 0.27.0');
  const { trace, observations, byName, one } = await findTrace(server, key, (t) => t.name === 'tl_support.workflow');
  const chats = (byName['chat gpt-4o-mini'] ?? []).sort((a, b) => a.start_time.localeCompare(b.start_time));
  const [plain, streamed] = chats;
  await row.check('structure', () => {
    assert.equal(observations.length, 5);
    const workflow = one('tl_support.workflow');
    assert.equal(workflow.type, 'chain');
    assert.equal(workflow.parent_id, null);
    const task = one('answer.task');
    assert.equal(task.type, 'chain');
    assert.equal(task.parent_id, workflow.id);
    assert.equal(chats.length, 2);
    for (const c of chats) {
      assert.equal(c.type, 'generation');
      assert.equal(c.parent_id, task.id);
    }
    const tool = one('get_weather.tool');  // span name `{entity}.{kind}`, as in Langfuse
    assert.equal(tool.type, 'tool');
    assert.equal(tool.parent_id, workflow.id);
    assert.equal(tool.tool?.name, 'get_weather');
    assert.deepEqual(tool.output, { city: 'Paris', celsius: 18 });
    assert.equal(plain.input[0].role, 'user');
    assert.equal(plain.output[0].content, MOCK_ANSWER);
    assert.equal(streamed.output[0].content, MOCK_ANSWER);
  });
  await row.check('model', () => {
    assert.equal(plain.model, 'gpt-4o-mini-2024-07-18');
    assert.equal(plain.provider, 'openai');
    assert.equal(plain.model_parameters?.temperature, 0.1);
  });
  await row.check('tokens', () => {
    assert.equal(plain.usage.input_tokens, MOCK_USAGE.chat.prompt_tokens);
    assert.equal(plain.usage.output_tokens, MOCK_USAGE.chat.completion_tokens);
    assert.equal(plain.usage.total_tokens, MOCK_USAGE.chat.prompt_tokens + MOCK_USAGE.chat.completion_tokens);
    // On a stream 0.27.0 counts tokens itself with a tokenizer instead of reading the usage chunk.
    assert.ok(streamed.usage.output_tokens > 0);
  });
  await row.check('cost', () => {
    assert.equal(plain.cost.source, 'computed');
    assertCost(plain.cost.total, expectedCost('gpt-4o-mini', MOCK_USAGE.chat.prompt_tokens, MOCK_USAGE.chat.completion_tokens), 'chat');
    assertCost(streamed.cost.total, expectedCost('gpt-4o-mini', streamed.usage.input_tokens, streamed.usage.output_tokens), 'stream');
  });
  await row.check('session/user', () => {
    assert.equal(trace.session_id, 'sess-tl');
    assert.equal(trace.user_id, 'user-tl');
  });
  row.notApplicable('tags');
  row.notApplicable('errors');
  row.finish();
});
