// Real client: LangChain JS (`@langchain/core` + `@langchain/openai`, calling the local mock)
// traced through OpenTelemetry by `@arizeai/openinference-instrumentation-langchain`, exported by
// the standard OTLP/HTTP exporter to /v1/traces. (LangChain through LangSmith tracing is covered by
// langsmith.test.mjs.) Session comes from the run metadata (`session_id`), user and tags from
// `@arizeai/openinference-core`'s context helpers: 4.1.1 turns neither run tags nor a `user_id`
// metadata key into attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MOCK_ANSWER, MOCK_ERROR_MESSAGE } from './openai_mock.mjs';
import { MatrixRow, useClientEnvironment, findTrace, checkLangChainRuns, registerOtlpProvider } from './client_matrix.mjs';

const env = useClientEnvironment('langchain');

test('LangChain JS via OpenInference: prompt | ChatOpenAI | parser, and a failing run', async () => {
  const { server, key, mock } = env;
  const provider = await registerOtlpProvider(server, key, 'lc-assistant');
  const { context } = await import('@opentelemetry/api');
  const { LangChainInstrumentation } = await import('@arizeai/openinference-instrumentation-langchain');
  const CallbackManagerModule = await import('@langchain/core/callbacks/manager');
  const { ChatPromptTemplate } = await import('@langchain/core/prompts');
  const { StringOutputParser } = await import('@langchain/core/output_parsers');
  const { ChatOpenAI } = await import('@langchain/openai');
  const { setUser, setTags } = await import('@arizeai/openinference-core');
  const instrumentation = new LangChainInstrumentation();
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(CallbackManagerModule);  // ESM import: the require hook does not see it

  const model = new ChatOpenAI({ model: 'gpt-4o-mini', temperature: 0.4, maxRetries: 0, configuration: { baseURL: mock.baseURL } });
  const chain = ChatPromptTemplate.fromMessages([['system', 'Be brief.'], ['human', '{question}']])
    .pipe(model).pipe(new StringOutputParser());
  const ctx = setTags(setUser(context.active(), { userId: 'user-lc' }), ['e2e', 'langchain']);
  await context.with(ctx, async () => {
    const config = { metadata: { session_id: 'sess-lc' } };
    assert.equal(await chain.invoke({ question: 'What is the capital of France?' }, { ...config, runName: 'lc-qa' }), MOCK_ANSWER);
    await assert.rejects(chain.invoke({ question: 'FAIL on purpose' }, { ...config, runName: 'lc-qa-failing' }));
  });
  await provider.forceFlush();
  await provider.shutdown();
  instrumentation.disable();

  const row = new MatrixRow('LangChain JS 1.2.13 + @arizeai/openinference-instrumentation-langchain 4.1.1');
  const ok = await findTrace(server, key, (t) => t.name === 'lc-qa');
  const failing = await findTrace(server, key, (t) => t.name === 'lc-qa-failing');
  const llm = () => ok.one('ChatOpenAI');
  await row.check('structure', () => {
    assert.equal(ok.observations.length, 4);
    const root = ok.one('lc-qa');
    assert.equal(root.type, 'chain');
    assert.equal(root.parent_id, null);
    assert.equal(root.output, MOCK_ANSWER);
    for (const name of ['ChatPromptTemplate', 'ChatOpenAI', 'StrOutputParser']) assert.equal(ok.one(name).parent_id, root.id);
    assert.equal(ok.one('ChatPromptTemplate').type, 'span');  // OpenInference PROMPT has no canonical type
    assert.equal(llm().type, 'generation');
    assert.equal(ok.one('StrOutputParser').type, 'chain');
    assert.deepEqual(llm().input.map((m) => m.role), ['system', 'user']);
    assert.equal(llm().output[0].role, 'assistant');
    assert.equal(llm().output[0].content, MOCK_ANSWER);
  });
  await row.check('model', () => {
    // The answered model is only inside output.value; 4.1.1 sends the requested one as llm.model_name.
    assert.equal(llm().model, 'gpt-4o-mini');
    assert.equal(llm().model_parameters?.temperature, 0.4);
  });
  await checkLangChainRuns(row, { ok, failing }, { session: 'sess-lc', user: 'user-lc', tags: ['e2e', 'langchain'] });
  await row.check('errors', () => {
    const failed = failing.one('ChatOpenAI');
    assert.equal(failed.status, 'error');
    assert.ok(failed.status_message.includes(MOCK_ERROR_MESSAGE), failed.status_message);
    assert.equal(failing.trace.status, 'error');
    assert.equal(ok.trace.status, 'ok');
  });
  row.finish();
});
