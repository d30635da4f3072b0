// Real client: `@langfuse/tracing` + `@langfuse/otel` (LangfuseSpanProcessor → OTLP/JSON to
// /api/public/otel/v1/traces with Basic auth pk:sk), configured only through the LANGFUSE_* env
// vars of docs/integrations.md. The generation wraps a real `openai` call to the local mock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixRow, useClientEnvironment, findTrace, checkLangfuseRow } from './client_matrix.mjs';

const env = useClientEnvironment('langfuse-otel', {
  configure: (env) => {
    // docs/integrations.md "Langfuse JS SDK v4+ (OpenTelemetry)".
    process.env.LANGFUSE_BASE_URL = env.server.url;
    process.env.LANGFUSE_PUBLIC_KEY = env.keyPair.public_key;
    process.env.LANGFUSE_SECRET_KEY = env.keyPair.secret_key;
  },
});

test('@langfuse/tracing + @langfuse/otel: agent, retriever, generation and a failing tool', async () => {
  const { server, key, mock } = env;
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { LangfuseSpanProcessor } = await import('@langfuse/otel');
  const { startActiveObservation, startObservation, propagateAttributes } = await import('@langfuse/tracing');
  const { default: OpenAI } = await import('openai');

  const processor = new LangfuseSpanProcessor();
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  provider.register();
  const openai = new OpenAI({ baseURL: mock.baseURL, maxRetries: 0 });

  await propagateAttributes({ userId: 'user-lf', sessionId: 'sess-lf', tags: ['e2e', 'langfuse'], traceName: 'support-request' }, () =>
    startActiveObservation('support-agent', async (agent) => {
      agent.update({ input: { question: 'What is the capital of France?' } });
      await startActiveObservation('lookup-docs', async (retriever) => {
        retriever.update({ input: 'capital of France', output: [{ id: 'doc-1', content: 'Paris is the capital.' }] });
      }, { asType: 'retriever' });

      const messages = [{ role: 'user', content: 'What is the capital of France?' }];
      const generation = startObservation('answer', { model: 'gpt-4o-mini', input: messages, modelParameters: { temperature: 0.2 } }, { asType: 'generation' });
      const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.2 });
      generation.update({
        model: completion.model,
        output: completion.choices[0].message,
        usageDetails: { input: completion.usage.prompt_tokens, output: completion.usage.completion_tokens },
      }).end();

      const tool = startObservation('get_weather', { input: { city: 'Paris' } }, { asType: 'tool' });
      try {
        await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'FAIL please' }] });
      } catch (e) {
        tool.update({ level: 'ERROR', statusMessage: e.message });
      }
      tool.end();
      agent.update({ output: completion.choices[0].message.content });
    }, { asType: 'agent' }));
  await provider.forceFlush();
  await provider.shutdown();

  const row = new MatrixRow('@langfuse/otel 5.11.1');
  const { trace, observations, one } = await findTrace(server, key, (t) => t.name === 'support-request');
  await row.check('structure', () => {
    assert.equal(observations.length, 4);
    const agent = one('support-agent');
    assert.equal(agent.type, 'agent');
    assert.equal(agent.parent_id, null);
    assert.equal(one('lookup-docs').type, 'retriever');
    assert.equal(one('lookup-docs').parent_id, agent.id);
    assert.equal(one('answer').type, 'generation');
    assert.equal(one('answer').parent_id, agent.id);
    assert.equal(one('get_weather').type, 'tool');
    assert.equal(one('get_weather').parent_id, agent.id);
    assert.equal(one('answer').input[0].role, 'user');
    assert.equal(one('answer').output[0]?.role ?? one('answer').output.role, 'assistant');
  });
  await checkLangfuseRow(row, { trace, one }, { session: 'sess-lf', user: 'user-lf', tags: ['e2e', 'langfuse'] });
  row.finish();
});
