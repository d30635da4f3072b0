// Tail sampling (docs/insight.md "Tail sampling") through the real server: with a policy that
// keeps every error and none of the rest, the ok traces are gone from the list and the trace API
// once evaluated, the error ones stay, GET /api/v1/sampling and `trackly sampling show` count
// both (the settings page shows them too), and the metrics still count every run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDataDir, removeDir, createKey, getJson, cli } from './harness.mjs';
import { jsonSpan, jsonRequest, postJson, hex } from './otlp_payloads.mjs';
import { launchBrowser, loginLink } from './browser.mjs';

let dataDir, server, key;
const failed = [hex(16), hex(16)];
const fine = [hex(16), hex(16), hex(16)];

// A root span and one model call; status 2 (error) on both when `error`.
function run(traceId, error) {
  const status = error ? { status: { code: 2, message: 'upstream failed' } } : {};
  const root = jsonSpan({ traceId, name: 'support agent', ...status });
  const call = jsonSpan({ traceId, parentSpanId: root.spanId, name: 'chat gpt-4o', ...status,
    attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 100,
             'gen_ai.usage.output_tokens': 10 } });
  return [root, call];
}

// Polls GET /api/v1/sampling (up to 20 s) until it has decided `decided` traces.
async function countsOnce(decided) {
  const deadline = Date.now() + 20_000;
  while (true) {
    const got = await getJson(server, '/api/v1/sampling', key);
    assert.equal(got.status, 200, JSON.stringify(got.json));
    const { kept, dropped } = got.json.counts;
    if (kept + dropped >= decided || Date.now() > deadline) return got.json;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  dataDir = tempDataDir();
  key = createKey(dataDir, { scopes: 'ingest,read,admin' }).key;
  server = await startServer(dataDir, ['--trace-finish-delay-ms', '300']);
  const put = await fetch(`${server.url}/api/v1/sampling`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ enabled: true, keep_fraction: 0, keep_errors: true }),
  });
  assert.equal(put.status, 200, await put.text());
  const spans = [...failed.flatMap((id) => run(id, true)), ...fine.flatMap((id) => run(id, false))];
  const sent = await postJson(server, key, jsonRequest(spans));
  assert.equal(sent.status, 200, sent.text);
});

after(async () => {
  await server?.stop();
  removeDir(dataDir);
});

test('once evaluated, the ok traces are dropped and the failed ones kept, and the counts say so', async () => {
  const sampling = await countsOnce(5);
  assert.equal(sampling.policy.enabled, true);
  assert.equal(sampling.policy.keep_fraction, 0);
  assert.equal(sampling.counts.kept, 2, JSON.stringify(sampling.counts));
  assert.equal(sampling.counts.dropped, 3, JSON.stringify(sampling.counts));
  assert.deepEqual(sampling.counts.kept_by_reason, { error: 2 });
  assert.equal(sampling.counts.daily.length, 1);

  const list = await getJson(server, '/api/v1/traces', key);
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.data.map((t) => t.id).sort(), [...failed].sort());
  for (const id of fine) assert.equal((await getJson(server, `/api/v1/traces/${id}`, key)).status, 404, id);
  for (const id of failed) assert.equal((await getJson(server, `/api/v1/traces/${id}`, key)).status, 200, id);
});

test('the metrics still count every run and every model call', async () => {
  await countsOnce(5);
  const runs = await getJson(server, '/api/v1/metrics?level=trace&measures=count,error_rate', key);
  assert.equal(runs.status, 200, JSON.stringify(runs.json));
  assert.equal(runs.json.data[0].count, 5);
  assert.equal(runs.json.data[0].error_rate, 0.4);
  const calls = await getJson(server, '/api/v1/metrics?measures=count,input_tokens&group_by=model', key);
  assert.equal(calls.status, 200, JSON.stringify(calls.json));
  const gpt = calls.json.data.find((row) => row.model === 'gpt-4o');
  assert.equal(gpt.count, 5);
  assert.equal(gpt.input_tokens, 500);
});

test('the CLI shows the policy and the counts, and a change is audited', async () => {
  await countsOnce(5);
  const shown = JSON.parse(cli(['sampling', 'show', '--project', 'default', '--data', dataDir, '--json']));
  assert.equal(shown.policy.enabled, true);
  assert.equal(shown.counts.kept, 2);
  assert.equal(shown.counts.dropped, 3);
  const text = cli(['sampling', 'show', '--project', 'default', '--data', dataDir]);
  assert.match(text, /2 kept, 3 dropped/);
  const audit = await getJson(server, '/api/v1/audit?action=sampling.update', key);
  assert.equal(audit.json.data.length, 1);
  assert.equal(audit.json.data[0].details.keep_fraction, 0);
});

test('the settings page shows the policy and the counts', async () => {
  await countsOnce(5);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(loginLink(server, dataDir, 'default', '/settings'));
    const section = page.locator('.sampling-section');
    await section.getByText('Last 30 days').waitFor();
    const text = await section.innerText();
    assert.match(text, /traces with an error/);
    assert.match(text, /of the rest, 0% are kept/);
    assert.match(text, /2 kept, 3 dropped/);
    assert.match(text, /kept because: error 2/);
  } finally {
    await browser.close();
  }
});
