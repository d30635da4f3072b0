// Real client: LangChain JS (`@langchain/core` + `@langchain/openai`, calling the local mock) with
// LangSmith tracing turned on the way LangChain users do it, by environment only
// (docs/integrations.md "LangChain JS with LangSmith tracing"): its built-in LangChainTracer sends
// the runs through the real `langsmith` client to /langsmith. Session and user come from the run
// metadata, tags from the run tags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MOCK_ANSWER, MOCK_ERROR_MESSAGE } from './openai_mock.mjs';
import { MatrixRow, useClientEnvironment, findTrace, checkLangChainRuns } from './client_matrix.mjs';

const env = useClientEnvironment('langchain-langsmith', {
  configure: (e) => {
    Object.assign(process.env, {
      LANGSMITH_TRACING: 'true',
      LANGSMITH_ENDPOINT: `${e.server.url}/langsmith`,
      LANGSMITH_API_KEY: e.key,
      // The root run's end waits for its upload, so a finished invoke() has been sent.
      LANGCHAIN_CALLBACKS_BACKGROUND: 'false',
    });
  },
});

test('LangChain JS with LangSmith tracing: prompt | ChatOpenAI | parser, and a failing run', async () => {
  const { server, key, mock } = env;
  const { ChatPromptTemplate } = await import('@langchain/core/prompts');
  const { StringOutputParser } = await import('@langchain/core/output_parsers');
  const { ChatOpenAI } = await import('@langchain/openai');
  const model = new ChatOpenAI({ model: 'gpt-4o-mini', temperature: 0.4, maxRetries: 0, configuration: { baseURL: mock.baseURL } });
  const chain = ChatPromptTemplate.fromMessages([['system', 'Be brief.'], ['human', '{question}']])
    .pipe(model).pipe(new StringOutputParser());
  const config = { tags: ['e2e', 'langsmith'], metadata: { session_id: 'sess-lcls', user_id: 'user-lcls' } };
  assert.equal(await chain.invoke({ question: 'What is the capital of France?' }, { ...config, runName: 'lcls-qa' }), MOCK_ANSWER);
  await assert.rejects(chain.invoke({ question: 'FAIL on purpose' }, { ...config, runName: 'lcls-qa-failing' }));

  const row = new MatrixRow('LangChain JS 1.2.13 + LangSmith tracing (langsmith 0.12.0)');
  const ok = await findTrace(server, key, (t) => t.name === 'lcls-qa');
  const failing = await findTrace(server, key, (t) => t.name === 'lcls-qa-failing');
  const llm = () => ok.one('ChatOpenAI');
  await row.check('structure', () => {
    assert.equal(ok.observations.length, 4);
    const root = ok.one('lcls-qa');
    assert.equal(root.type, 'chain');
    assert.equal(root.parent_id, null);
    for (const name of ['ChatPromptTemplate', 'ChatOpenAI', 'StrOutputParser']) assert.equal(ok.one(name).parent_id, root.id);
    assert.equal(llm().type, 'generation');
    assert.equal(ok.one('StrOutputParser').type, 'span');  // run_type "parser" has no canonical type
    // LangChain's own "seq:step:N" tags stay on the steps, out of the trace's tags.
    assert.ok(llm().attributes.tags.includes('seq:step:2'), JSON.stringify(llm().attributes.tags));
  });
  await row.check('model', () => {
    assert.match(llm().model, /^gpt-4o-mini/);
    assert.equal(llm().provider, 'openai');
    assert.equal(llm().model_parameters?.temperature, 0.4);
  });
  await checkLangChainRuns(row, { ok, failing }, { session: 'sess-lcls', user: 'user-lcls', tags: ['e2e', 'langsmith'] });
  await row.check('errors', () => {
    const failed = failing.one('ChatOpenAI');
    assert.equal(failed.status, 'error');
    assert.ok(failed.status_message.includes(MOCK_ERROR_MESSAGE.slice(0, 20)), failed.status_message);
    assert.equal(failing.trace.status, 'error');
    assert.equal(ok.trace.status, 'ok');
  });
  row.finish();
});
