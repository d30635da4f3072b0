// The real `langsmith` npm client (pinned in package.json) sends runs to the real binary under
// /langsmith: traceable nesting (multipart, gzip, as /langsmith/info tells it), RunTree
// post/patch without auto-batching (POST /runs, PATCH /runs/{id}), and the batch and multipart
// endpoints called directly. We read the traces back through /api/v1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, createKey, tempDataDir, removeDir, getJson, dottedOrderSegment as segment } from './harness.mjs';
import { MatrixRow } from './client_matrix.mjs';

let dataDir;
let server;
let key;
let langsmith;  // the modules, imported once the environment points at the server
let traceableModule;

before(async () => {
  dataDir = tempDataDir();
  key = createKey(dataDir, { project: 'ls-e2e' }).key;
  server = await startServer(dataDir);
  // What a user sets to point the SDK at Trackly (docs/integrations.md "LangSmith").
  process.env.LANGSMITH_TRACING = 'true';
  process.env.LANGSMITH_ENDPOINT = `${server.url}/langsmith`;
  process.env.LANGSMITH_API_KEY = key;
  process.env.LANGSMITH_PROJECT = 'some-other-project';  // ignored: the key picks the project
  langsmith = await import('langsmith');
  traceableModule = await import('langsmith/traceable');
});

after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, 'graceful shutdown exits 0');
  removeDir(dataDir);
});

async function traceDetail(traceId) {
  const { status, json, body } = await getJson(server, `/api/v1/traces/${traceId}`, key);
  assert.equal(status, 200, body);
  const byName = Object.fromEntries(json.observations.map((o) => [o.name, o]));
  return { trace: json.trace, observations: json.observations, byName };
}


test('traceable nesting: the tree, types, model, tokens, cost and errors', async () => {
  const { traceable, getCurrentRunTree } = traceableModule;
  const client = new langsmith.Client();
  const chat = traceable(async (question) => ({
    choices: [{ index: 0, message: { role: 'assistant', content: `Answer to: ${question}` }, finish_reason: 'stop' }],
    usage_metadata: { input_tokens: 1200, output_tokens: 300, total_tokens: 1500,
                      input_token_details: { cache_read: 200 }, output_token_details: { reasoning: 50 } },
  }), { name: 'chat_model', run_type: 'llm', client,
        metadata: { ls_provider: 'openai', ls_model_name: 'gpt-4o-mini', ls_temperature: 0.2 } });
  const search = traceable(async (query) => [{ page_content: `doc about ${query}`, metadata: { id: 'd1' }, type: 'Document' }],
    { name: 'search_docs', run_type: 'retriever', client });
  const geocode = traceable(async () => { throw new Error('geocoder unavailable (503)'); },
    { name: 'geocode', run_type: 'tool', client });
  let traceId;
  const agent = traceable(async (question) => {
    traceId = getCurrentRunTree().trace_id;
    const docs = await search(question);
    try { await geocode(question); } catch { /* the agent carries on without it */ }
    const answer = await chat(`${question} (${docs.length} docs)`);
    return { answer: answer.choices[0].message.content };
  }, { name: 'research_agent', run_type: 'chain', client, tags: ['e2e'],
       metadata: { session_id: 'sess-ls-e2e', user_id: 'user-ls' } });

  await agent('Should I bike today?');
  await client.awaitPendingTraceBatches();

  const { trace, observations, byName } = await traceDetail(traceId);
  const llm = byName.chat_model;
  const row = new MatrixRow('langsmith 0.12.0 (traceable, multipart)');
  await row.check('structure', () => {
    assert.equal(observations.length, 4);
    assert.equal(trace.name, 'research_agent');
    assert.equal(byName.research_agent.parent_id, null);
    for (const child of ['search_docs', 'geocode', 'chat_model']) {
      assert.equal(byName[child].parent_id, byName.research_agent.id, child);
    }
    assert.equal(byName.research_agent.type, 'chain');
    assert.equal(byName.search_docs.type, 'retriever');
    assert.equal(byName.geocode.type, 'tool');
    assert.equal(llm.type, 'generation');
    assert.deepEqual(llm.output, [{ role: 'assistant', content: 'Answer to: Should I bike today? (1 docs)', finish_reason: 'stop' }]);
    assert.equal(trace.counts.generations, 1);
    assert.equal(trace.counts.retrievals, 1);
    assert.equal(trace.counts.tool_calls, 1);
  });
  await row.check('model', () => {
    assert.equal(llm.model, 'gpt-4o-mini');
    assert.equal(llm.provider, 'openai');
    assert.equal(llm.model_parameters.temperature, 0.2);
  });
  await row.check('tokens', () => {
    assert.equal(llm.usage.input_tokens, 1200);
    assert.equal(llm.usage.output_tokens, 300);
    assert.equal(llm.usage.cache_read_tokens, 200);
    assert.equal(llm.usage.reasoning_tokens, 50);
    assert.equal(trace.usage.input_tokens, 1200);
  });
  await row.check('cost', () => {
    assert.equal(llm.cost.source, 'computed');
    assert.ok(llm.cost.total > 0);
    assert.equal(trace.cost.total, llm.cost.total);
  });
  await row.check('session/user', () => {
    assert.equal(trace.session_id, 'sess-ls-e2e');
    assert.equal(trace.user_id, 'user-ls');
  });
  await row.check('tags', () => assert.deepEqual(trace.tags, ['e2e']));
  await row.check('errors', () => {
    assert.equal(byName.geocode.status, 'error');
    assert.match(byName.geocode.status_message, /geocoder unavailable/);
    assert.equal(trace.status, 'error');
  });
  row.finish();
});

test('RunTree post and patch without auto-batching (POST /runs, PATCH /runs/{id})', async () => {
  const client = new langsmith.Client({ autoBatchTracing: false });
  const root = new langsmith.RunTree({ name: 'manual_pipeline', run_type: 'chain', inputs: { text: 'hello' }, client,
                                       metadata: { user_id: 'user-ivan' } });
  await root.postRun();
  const llm = root.createChild({ name: 'manual_llm', run_type: 'llm', inputs: { messages: [{ role: 'user', content: 'hello' }] },
                                 metadata: { ls_provider: 'openai', ls_model_name: 'gpt-4o-mini' } });
  await llm.postRun();
  await llm.end({ choices: [{ message: { role: 'assistant', content: 'hi' } }],
                  usage_metadata: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } });
  await llm.patchRun();
  const failing = root.createChild({ name: 'failing_step', run_type: 'tool', inputs: {} });
  await failing.postRun();
  await failing.end(undefined, 'Error: upstream quota exceeded');
  await failing.patchRun();
  await root.end({ text: 'hi' });
  await root.patchRun();

  const { trace, byName } = await traceDetail(root.trace_id);
  assert.equal(trace.user_id, 'user-ivan');
  assert.equal(byName.manual_llm.parent_id, root.id);
  assert.equal(byName.manual_llm.status, 'ok');
  assert.ok(byName.manual_llm.end_time, 'the patch ended the run');
  assert.deepEqual(byName.manual_llm.input, [{ role: 'user', content: 'hello' }]);
  assert.deepEqual(byName.manual_llm.output, [{ role: 'assistant', content: 'hi' }]);
  assert.equal(byName.manual_llm.usage.total_tokens, 4);
  assert.equal(byName.manual_llm.cost.source, 'computed');
  assert.equal(byName.failing_step.status, 'error');
  assert.equal(byName.failing_step.error_type, 'Error');
  assert.equal(byName.manual_pipeline.status, 'ok');
  assert.deepEqual(byName.manual_pipeline.output, { text: 'hi' });
  assert.equal(trace.status, 'error');
});

// The batch and multipart endpoints with the client's own serialization: a create in one request
// and its update in the next, as a long-running run arrives.
for (const mode of ['batch', 'multipart']) {
  test(`${mode} ingest: a post, then its patch in a later request`, async () => {
    const client = new langsmith.Client();
    const rootId = randomUUID();
    const childId = randomUUID();
    const t0 = Date.now();
    const rootDotted = segment(t0, rootId);
    const childDotted = `${rootDotted}.${segment(t0 + 5, childId)}`;
    const creates = [
      { id: rootId, trace_id: rootId, dotted_order: rootDotted, name: `${mode}_root`, run_type: 'chain',
        start_time: t0, inputs: { q: 'x' }, session_name: 'ls-e2e' },
      { id: childId, trace_id: rootId, parent_run_id: rootId, dotted_order: childDotted, name: `${mode}_embed`,
        run_type: 'embedding', start_time: t0 + 5, inputs: { input: ['x'] },
        extra: { invocation_params: { model: 'text-embedding-3-small' } } },
    ];
    const updates = [
      { id: childId, trace_id: rootId, parent_run_id: rootId, dotted_order: childDotted, end_time: t0 + 20,
        outputs: { llm_output: { token_usage: { prompt_tokens: 1000, total_tokens: 1000 } } } },
      { id: rootId, trace_id: rootId, dotted_order: rootDotted, end_time: t0 + 30, outputs: { done: true } },
    ];
    const ingest = mode === 'batch' ? client.batchIngestRuns.bind(client) : client.multipartIngestRuns.bind(client);
    await ingest({ runCreates: creates });
    await ingest({ runUpdates: updates });

    const { trace, byName } = await traceDetail(rootId);
    const embed = byName[`${mode}_embed`];
    assert.equal(embed.type, 'embedding');
    assert.equal(embed.parent_id, rootId);
    assert.equal(embed.model, 'text-embedding-3-small');
    assert.equal(embed.usage.input_tokens, 1000);
    assert.equal(embed.status, 'ok');
    assert.equal(embed.cost.source, 'computed');
    assert.equal(trace.name, `${mode}_root`);
    assert.equal(trace.status, 'ok');
    assert.ok(trace.end_time);
  });
}

test('createFeedback: a multipart part with a trace id, POST /feedback without one, both stored as scores', async () => {
  const { traceable, getCurrentRunTree } = traceableModule;
  const posts = [];  // the client's POST requests, by path
  const client = new langsmith.Client({
    fetchImplementation: (url, init) => {
      if (init?.method === 'POST') posts.push(new URL(String(url)).pathname);
      return fetch(url, init);
    },
  });
  let runId;
  let traceId;
  const graded = traceable(async (question) => {
    ({ id: runId, trace_id: traceId } = getCurrentRunTree());
    return { answer: `about ${question}` };
  }, { name: 'graded_step', run_type: 'chain', client });
  await graded('feedback');
  await client.awaitPendingTraceBatches();

  // With a traceId the client queues the feedback and sends it as a multipart "feedback.<id>" part.
  posts.length = 0;
  const batched = await client.createFeedback(runId, 'correctness', { score: 1, comment: 'right', traceId });
  await client.awaitPendingTraceBatches();
  assert.deepEqual(posts, ['/langsmith/runs/multipart']);
  // Without one it posts to /feedback; the server finds the trace from the stored run.
  posts.length = 0;
  const posted = await client.createFeedback(runId, 'tone', { value: 'terse' });
  assert.deepEqual(posts, ['/langsmith/feedback']);

  const scores = await getJson(server, `/api/v1/scores?observation_id=${runId}`, key);
  assert.equal(scores.status, 200, scores.body);
  const byName = Object.fromEntries(scores.json.data.map((s) => [s.name, s]));
  assert.deepEqual(Object.keys(byName).sort(), ['correctness', 'tone']);
  assert.equal(byName.correctness.id, batched.id);
  assert.equal(byName.correctness.value, 1);
  assert.equal(byName.correctness.comment, 'right');
  assert.equal(byName.correctness.source, 'api');
  assert.equal(byName.tone.id, posted.id);
  assert.equal(byName.tone.value, 'terse');
  for (const score of scores.json.data) assert.equal(score.trace_id, traceId, score.name);
  const { status, json } = await getJson(server, `/api/v1/traces/${traceId}`, key);
  assert.equal(status, 200);
  assert.deepEqual(json.scores.map((s) => s.id).sort(), [batched.id, posted.id].sort());

  // Feedback without a trace id on a run the server does not have is refused, naming the run.
  const unknownRun = randomUUID();
  await assert.rejects(client.createFeedback(unknownRun, 'tone', { score: 0 }),
                       (e) => String(e.message).includes(`run ${unknownRun} not found`));
});

test('a malformed run is rejected by name; the good run of the same request is kept', async () => {
  const goodId = randomUUID();
  const res = await fetch(`${server.url}/langsmith/runs/batch`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ post: [
      { id: goodId, trace_id: goodId, dotted_order: segment(Date.now(), goodId), name: 'good', run_type: 'chain', start_time: Date.now() },
      { id: 'bad-run', name: 'bad', start_time: 'not a time' },
    ] }),
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.match(body.error.message, /run bad-run: start_time/);
  assert.equal(body.accepted_runs, 1);
  const { status } = await getJson(server, `/api/v1/traces/${goodId}`, key);
  assert.equal(status, 200);
});
