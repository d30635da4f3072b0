// Real client: the legacy `langfuse` npm package (3.x), which posts JSON event batches
// (trace-create, span-/generation-create and -update, event-create, score-create) to
// /api/public/ingestion with Basic auth pk:sk and counts a 207 with errors as a failure.
// Configured only through the env vars of docs/integrations.md ("Langfuse JS SDK v3").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixRow, useClientEnvironment, findTrace, checkLangfuseRow } from './client_matrix.mjs';
import { getJson } from './harness.mjs';

const env = useClientEnvironment('langfuse-legacy', {
  configure: (env) => {
    // docs/integrations.md "Langfuse JS SDK v3 (legacy `langfuse`)": v3 reads LANGFUSE_BASEURL.
    process.env.LANGFUSE_BASEURL = env.server.url;
    process.env.LANGFUSE_PUBLIC_KEY = env.keyPair.public_key;
    process.env.LANGFUSE_SECRET_KEY = env.keyPair.secret_key;
  },
});

test('langfuse 3.x: trace, agent span, retriever, generation, event, failing tool, score', async () => {
  const { server, key, mock } = env;
  const { Langfuse } = await import('langfuse');
  const { default: OpenAI } = await import('openai');
  const langfuse = new Langfuse({ flushAt: 5, fetchRetryCount: 0 });
  const failures = [];
  langfuse.on('error', (e) => failures.push(String(e?.message ?? e)));
  const openai = new OpenAI({ baseURL: mock.baseURL, maxRetries: 0 });

  const trace = langfuse.trace({ name: 'legacy-support', userId: 'user-legacy', sessionId: 'sess-legacy',
                                 tags: ['e2e', 'legacy'], metadata: { channel: 'web' },
                                 input: { question: 'What is the capital of France?' } });
  const agent = trace.span({ name: 'support-agent', input: { question: 'What is the capital of France?' } });
  const retriever = agent.span({ name: 'lookup-docs', input: 'capital of France' });
  retriever.end({ output: [{ id: 'doc-1', content: 'Paris is the capital.' }] });

  const messages = [{ role: 'user', content: 'What is the capital of France?' }];
  const generation = agent.generation({ name: 'answer', model: 'gpt-4o-mini', input: messages,
                                        modelParameters: { temperature: 0.2 } });
  const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.2 });
  generation.end({ model: completion.model, output: completion.choices[0].message, usageDetails: completion.usage });
  agent.event({ name: 'answer-shown', input: { widget: 'card' } });

  const tool = agent.span({ name: 'get_weather', input: { city: 'Paris' } });
  try {
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'FAIL please' }] });
  } catch (e) {
    tool.end({ level: 'ERROR', statusMessage: e.message });
  }
  agent.end({ output: completion.choices[0].message.content });
  trace.update({ output: { answer: completion.choices[0].message.content } });
  trace.score({ name: 'helpfulness', value: 0.9, comment: 'clear' });
  await langfuse.shutdownAsync();
  assert.deepEqual(failures, [], 'the client saw no failed batch');

  const row = new MatrixRow('langfuse 3.39.2 (legacy)');
  const { trace: t, observations, one } = await findTrace(server, key, (x) => x.name === 'legacy-support');
  await row.check('structure', () => {
    assert.equal(observations.length, 6);
    const root = one('legacy-support');
    assert.equal(root.parent_id, null);
    assert.equal(root.id, t.id);
    const agentObs = one('support-agent');
    assert.equal(agentObs.parent_id, root.id);
    for (const child of ['lookup-docs', 'answer', 'answer-shown', 'get_weather']) {
      assert.equal(one(child).parent_id, agentObs.id, child);
    }
    assert.equal(one('answer').type, 'generation');
    assert.equal(one('answer-shown').type, 'event');
    assert.equal(one('lookup-docs').type, 'span');
    assert.equal(one('answer').input[0].role, 'user');
    assert.equal(one('answer').output[0]?.role ?? one('answer').output.role, 'assistant');
    assert.deepEqual(one('lookup-docs').output, [{ id: 'doc-1', content: 'Paris is the capital.' }]);
    assert.deepEqual(t.input, { question: 'What is the capital of France?' });
    assert.deepEqual(t.output, { answer: completion.choices[0].message.content });
    assert.equal(t.metadata.channel, 'web');
  });
  await checkLangfuseRow(row, { trace: t, one }, { session: 'sess-legacy', user: 'user-legacy', tags: ['e2e', 'legacy'] });
  row.finish();

  // The score-create event is stored: listed by GET /api/v1/scores and in the trace detail.
  const scores = await getJson(server, `/api/v1/scores?trace_id=${encodeURIComponent(t.id)}`, key);
  assert.equal(scores.status, 200, scores.body);
  assert.equal(scores.json.data.length, 1, scores.body);
  const [score] = scores.json.data;
  assert.equal(score.trace_id, t.id);
  assert.equal(score.observation_id, null);
  assert.equal(score.name, 'helpfulness');
  assert.equal(score.value, 0.9);
  assert.equal(score.comment, 'clear');
  assert.equal(score.source, 'API');
  assert.match(score.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const detail = await getJson(server, `/api/v1/traces/${encodeURIComponent(t.id)}`, key);
  assert.equal(detail.status, 200, detail.body);
  assert.deepEqual(detail.json.scores, scores.json.data);
});
