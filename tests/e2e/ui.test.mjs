// The web UI in a real browser (Debian's Chromium driven by playwright-core) against the real
// binary: a known trace shown as a tree, timeline and detail panel; and a trace whose every
// name, key, value and message is an XSS payload, shown without running any of them.
// Screenshots go to build/e2e-screenshots/ (next to the binary) for a reviewer to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { launchBrowser, loginLink } from './browser.mjs';
import { BINARY, startServer, createKey, getJson, tempDataDir, removeDir } from './harness.mjs';
import { hex, jsonRequest, postJson } from './otlp_payloads.mjs';

const SCREENSHOTS = process.env.TRACKLY_SCREENSHOTS ?? join(dirname(BINARY), 'e2e-screenshots');

let dataDir;
let server;
let key;
let browser;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  dataDir = tempDataDir();
  key = createKey(dataDir).key;
  server = await startServer(dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  const { code } = await server.stop();
  assert.equal(code, 0);
  removeDir(dataDir);
});

// One OTLP/JSON span starting `startMs` after `t0` and lasting `durMs`. Attribute values that
// are objects are sent as JSON strings (as the GenAI conventions do for messages), numbers as
// integers or doubles.
const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
function span(traceId, { id = hex(8), parent, name, startMs, durMs, attrs = {}, status }) {
  return {
    traceId, spanId: id, ...(parent ? { parentSpanId: parent } : {}), name, kind: 1,
    startTimeUnixNano: String(t0 + BigInt(startMs) * 1_000_000n),
    endTimeUnixNano: String(t0 + BigInt(startMs + durMs) * 1_000_000n),
    attributes: Object.entries(attrs).map(([k, v]) => ({
      key: k,
      value: typeof v === 'number' ? (Number.isInteger(v) ? { intValue: v } : { doubleValue: v })
        : { stringValue: typeof v === 'string' ? v : JSON.stringify(v) },
    })),
    ...(status ? { status } : {}),
  };
}

// An agent run: a model call that asks for a tool, the tool, six identical lookups (folded in
// the tree) and a failed final step.
function knownTrace(traceId) {
  const root = span(traceId, { name: 'support-agent', startMs: 0, durMs: 3000,
    attrs: { 'session.id': 'sess-ui', 'user.id': 'user-7', 'gen_ai.operation.name': 'invoke_agent' } });
  const llm = span(traceId, { parent: root.spanId, name: 'chat gpt-4o', startMs: 10, durMs: 900, attrs: {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
    'gen_ai.request.temperature': '0.2', 'gen_ai.response.time_to_first_chunk': 0.25,
    'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 300,
    'gen_ai.input.messages': [
      { role: 'system', parts: [{ type: 'text', content: '**Be brief.** Answer from [the docs](https://example.org/docs), never [this](javascript:alert(1)).' }] },
      { role: 'user', parts: [{ type: 'text', content: 'What is the weather in Oslo?' }] },
    ],
    'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: 'Oslo' } }] }],
  } });
  const tool = span(traceId, { parent: root.spanId, name: 'execute_tool get_weather', startMs: 920, durMs: 200, attrs: {
    'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather',
    'gen_ai.tool.call.arguments': { city: 'Oslo' }, 'gen_ai.tool.call.result': '12°C and rain',
  } });
  const lookups = Array.from({ length: 6 }, (_, i) => span(traceId, { parent: root.spanId, name: 'execute_tool lookup',
    startMs: 1200 + i * 200, durMs: 100 + i * 20, attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup' } }));
  const fail = span(traceId, { parent: root.spanId, name: 'send_reply', startMs: 2500, durMs: 400,
    status: { code: 2, message: 'mail server refused the reply' } });
  return [root, llm, tool, ...lookups, fail];
}

async function ingest(spans, ingestKey = key) {
  const res = await postJson(server, ingestKey, jsonRequest(spans, 'ui-e2e'));
  assert.equal(res.status, 200, res.text);
}


// A fresh browser context at `url`, and a record of anything an injected script could do and
// of anything the CSP refused (the browser reports that on the console).
async function openUiAt(url) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const seen = { dialogs: [], errors: [] };
  page.on('dialog', (d) => { seen.dialogs.push(d.message()); d.dismiss(); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) seen.errors.push(m.text()); });
  const res = await page.goto(url);
  assert.equal(res.status(), 200);
  return { page, seen };
}

// A page signed in through a login link.
async function openUi(path = '/', project = 'default') {
  const opened = await openUiAt(loginLink(server, dataDir, project, path));
  await opened.page.getByText('Sign out').waitFor();
  return opened;
}

test('the UI shows a known trace as a tree, a timeline and a detail panel', async () => {
  const traceId = hex(16);
  await ingest(knownTrace(traceId));

  const { page, seen } = await openUi('/');
  await page.getByRole('link', { name: 'support-agent' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'traces.png') });
  // Live updates: a trace that arrives while the list is open shows up without a reload.
  await ingest([span(hex(16), { name: 'live-arrival', startMs: 100, durMs: 50 })]);
  await page.getByRole('link', { name: 'live-arrival' }).waitFor({ timeout: 20_000 });
  // Time range and sort go into the URL and reach the API.
  await page.getByLabel('Time range').selectOption('1h');
  await page.waitForURL(/range=1h/);
  await page.getByLabel('Sort').selectOption('start_time.asc');
  await page.waitForURL(/order=asc/);
  await page.locator('.traces-table tbody tr').first().filter({ hasText: 'support-agent' }).waitFor();
  const names = await page.locator('.traces-table .trace-link').allInnerTexts();
  assert.deepEqual(names.slice(0, 2), ['support-agent', 'live-arrival'], 'oldest first');
  // Fastest first puts the 50 ms arrival on top; the API sorts, not the page.
  await page.getByLabel('Sort').selectOption('latency.asc');
  await page.waitForURL(/sort=latency&order=asc/);
  await page.locator('.traces-table tbody tr').first().filter({ hasText: 'live-arrival' }).waitFor();
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.waitForURL(/\/traces$/);
  // Filters live in the URL: a shareable link.
  await page.getByLabel('User').fill('user-7');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/user_id=user-7/);
  await page.getByRole('link', { name: 'support-agent' }).click();

  await page.waitForURL(new RegExp(`/traces/${traceId}$`));
  const tree = page.getByRole('tree');
  await tree.getByText('chat gpt-4o').waitFor();
  const rows = await tree.getByRole('treeitem').allInnerTexts();
  assert.ok(rows.some((r) => r.includes('support-agent')), rows.join('\n'));
  assert.ok(rows.some((r) => r.includes('get_weather')), rows.join('\n'));
  assert.ok(rows.some((r) => /lookup × 6, p95/.test(r)), `repeats are folded:\n${rows.join('\n')}`);
  assert.equal(await tree.locator('.bar').count(), rows.length, 'one timeline bar per row');
  assert.equal(await tree.locator('.ttft').count(), 1, 'the model call\'s first token is marked on its bar');
  const totals = await page.locator('.totals').innerText();
  assert.match(totals, /1,500\s*tokens/i);
  assert.match(totals, /1\s*errors/i);

  // The model call: conversation with its tool call, model, usage and the price used.
  await tree.getByText('chat gpt-4o').click();
  const detail = page.getByRole('complementary', { name: 'Details' });
  await detail.getByText('What is the weather in Oslo?').waitFor();
  const text = await detail.innerText();
  for (const expected of ['gpt-4o', 'openai', 'calls tool', 'get_weather', '1,200', 'openai/gpt-4o@']) {
    assert.ok(text.includes(expected), `detail panel shows ${expected}:\n${text}`);
  }
  // The system message is markdown: bold text, a safe link, and the javascript: link as text.
  assert.equal(await detail.locator('.markdown strong').innerText(), 'Be brief.');
  assert.equal(await detail.getByRole('link', { name: 'the docs' }).getAttribute('href'), 'https://example.org/docs');
  assert.equal(await detail.getByRole('link', { name: 'this' }).count(), 0);
  await page.screenshot({ path: join(SCREENSHOTS, 'trace-view.png') });

  // The flame graph: frames on a canvas; a click selects the step in every view.
  await page.getByRole('tab', { name: 'Flame graph' }).click();
  const flame = page.locator('canvas.flame-canvas');
  await page.waitForFunction(() => Number(document.querySelector('canvas.flame-canvas')?.dataset.frames) > 5);
  const box = await flame.boundingBox();
  // By time the root (3 s) spans the width; its children sit side by side from the left in start
  // order: the model call (0.9 s), then the get_weather tool (0.2 s) at 30–36.7 %.
  await flame.click({ position: { x: box.width * 0.333, y: 30 } });
  await detail.getByText('12°C and rain').waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'flame-graph.png') });
  await page.getByRole('button', { name: 'Tokens' }).click();
  await page.waitForFunction(() => document.querySelector('canvas.flame-canvas')?.dataset.frames === '2');
  await page.getByRole('tab', { name: 'Tree & timeline' }).click();
  assert.match(await tree.locator('[role="treeitem"][aria-selected="true"]').innerText(), /get_weather/);

  // The agent graph: one box per distinct step, the six lookups one edge "× 6".
  await page.getByRole('tab', { name: 'Agent graph' }).click();
  const graphNodes = page.locator('.react-flow__node');
  await graphNodes.first().waitFor();
  assert.equal(await graphNodes.count(), 5, (await graphNodes.allInnerTexts()).join('\n'));
  await page.locator('.react-flow__edge-text').filter({ hasText: '× 6' }).waitFor();
  assert.equal(await page.locator('.graph-node.selected').count(), 1, 'the selection is marked in the graph');
  await graphNodes.filter({ hasText: 'lookup' }).click();
  await detail.getByText('Runs of one step').waitFor();
  assert.equal(await detail.locator('.runs li').count(), 6);
  await page.screenshot({ path: join(SCREENSHOTS, 'agent-graph.png') });
  await page.getByRole('tab', { name: 'Tree & timeline' }).click();

  // The folded group opens into its six members; the failed step shows its error.
  await tree.getByRole('treeitem').filter({ hasText: 'lookup × 6' }).getByRole('button', { name: 'Expand' }).click();
  assert.equal(await tree.locator('[role="treeitem"][aria-level="3"]').count(), 6);
  await tree.getByText('send_reply').click();
  await detail.getByText('mail server refused the reply').waitFor();

  // Sessions: the list and the session as its traces.
  await page.getByRole('link', { name: 'Sessions' }).click();
  await page.getByRole('link', { name: 'sess-ui' }).click();
  await page.getByRole('link', { name: 'support-agent' }).waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'session.png') });
  assert.deepEqual(seen, { dialogs: [], errors: [] });
  await page.close();
});

// A model call under a root span, `agoMs` before t0, with the cost the client reports (none:
// the server prices the usage, if it knows the model).
function pricedTrace({ name, model, agoMs, input, output, cost, version = 1, failed = false }) {
  const traceId = hex(16);
  const root = span(traceId, { name, startMs: -agoMs, durMs: 1500, attrs: { 'user.id': 'user-dash' },
    ...(failed ? { status: { code: 2, message: 'upstream timed out' } } : {}) });
  const call = span(traceId, { parent: root.spanId, name: `chat ${model}`, startMs: -agoMs + 10, durMs: 1200, attrs: {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'acme', 'gen_ai.request.model': model,
    'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output,
    ...(cost === undefined ? {} : { 'gen_ai.usage.cost': cost }),
    'gen_ai.prompt.name': 'qa', 'langfuse.observation.prompt.version': version,
  } });
  return [root, call];
}

test('the dashboard totals the range and breaks cost down by model', async () => {
  // A project of its own, so the totals are exactly what this test sent.
  const dashKey = createKey(dataDir, { project: 'dash' }).key;
  const recent = [
    { name: 'answer', model: 'acme-large', agoMs: 0, input: 2000, output: 500, cost: 0.4, version: 2 },
    { name: 'answer', model: 'acme-large', agoMs: 5 * 60_000, input: 1800, output: 700, cost: 0.4, version: 2, failed: true },
    { name: 'answer', model: 'acme-large', agoMs: 40 * 60_000, input: 2500, output: 300, cost: 0.4, version: 1 },
    { name: 'summarize', model: 'acme-small', agoMs: 2 * 3_600_000, input: 9000, output: 1000, cost: 0.25, version: 1 },
    { name: 'summarize', model: 'acme-small', agoMs: 20 * 3_600_000, input: 7000, output: 900, cost: 0.25, version: 1 },
  ];
  const old = { name: 'answer', model: 'acme-large', agoMs: 3 * 86_400_000, input: 100, output: 50, cost: 1, version: 1 };
  await ingest([...recent, old].flatMap(pricedTrace), dashKey);
  // The tiles as the UI formats them: dollars with cents above $1, tokens with thousands separators.
  const expected = (runs) => ({
    Cost: `$${(runs.reduce((sum, r) => sum + Math.round(r.cost * 100), 0) / 100).toFixed(2)}`,
    Tokens: runs.reduce((sum, r) => sum + r.input + r.output, 0).toLocaleString('en-US'),
    Traces: String(runs.length),
    'Error rate': `${Math.round((100 * runs.filter((r) => r.failed).length) / runs.length)}%`,
  });

  const { page, seen } = await openUi('/dashboard', 'dash');
  const tiles = async () => {
    await page.locator('.dashboard-tiles').waitFor();
    const found = {};
    for (const tile of await page.locator('.dashboard-tiles .total').all()) {
      found[await tile.locator('.total-label').textContent()] = await tile.locator('.total-value').textContent();
    }
    return found;
  };
  // The default range, the last 24 hours, leaves out the run of three days ago.
  const want24h = expected(recent);
  await page.locator('.dashboard-tiles .total-value').first().filter({ hasText: want24h.Cost }).waitFor();
  const shown = await tiles();
  for (const [label, value] of Object.entries(want24h)) assert.equal(shown[label], value, `${label} tile: ${JSON.stringify(shown)}`);
  assert.match(shown['p95 latency'], /^1\.\d\d s$/, 'every run took 1.5 s');

  // Cost by model: a series per model, named in the chart's legend.
  const cost = page.getByRole('region', { name: 'Cost', exact: true });
  await cost.locator('canvas').first().waitFor();
  await page.getByLabel('Cost breakdown').selectOption('model');
  await page.waitForURL(/cost_by=model/);
  const legend = cost.locator('.u-legend .u-label');
  await legend.filter({ hasText: 'acme-small' }).waitFor();
  const series = await legend.allInnerTexts();
  assert.ok(series.includes('acme-large') && series.includes('acme-small'), series.join(', '));
  await page.getByRole('region', { name: 'Latency' }).locator('canvas').first().waitFor();
  await page.setViewportSize({ width: 1400, height: 1250 }); // the whole dashboard in one picture
  await page.getByRole('region', { name: 'Errors' }).locator('canvas').first().waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png') });

  // A longer range takes the old run in; the breakdown stays (it is in the URL).
  await page.getByLabel('Time range').selectOption('7d');
  await page.waitForURL(/range=7d/);
  await page.locator('.dashboard-tiles .total-value').first().filter({ hasText: expected([...recent, old]).Cost }).waitFor();
  assert.equal((await tiles()).Traces, String(recent.length + 1));
  assert.match(page.url(), /cost_by=model/);

  // Every breakdown on every panel is one the API answers; the cost legend names the groups.
  const groups = { model: ['acme-large', 'acme-small'], name: ['answer', 'summarize'], user: ['user-dash'],
    prompt: ['qa v1', 'qa v2'], environment: [] };
  for (const [by, labels] of Object.entries(groups)) {
    const panels = ['cost', 'tokens', 'latency', 'traces', 'errors'];
    await page.goto(`${server.url}/dashboard?range=7d&${panels.map((p) => `${p}_by=${by}`).join('&')}`);
    for (const name of ['Cost', 'Tokens', 'Latency', 'Traces', 'Errors']) {
      await page.getByRole('region', { name, exact: true }).locator('canvas, .empty, [role="alert"]').first().waitFor();
    }
    assert.deepEqual(await page.locator('[role="alert"]').allInnerTexts(), [], `by ${by}`);
    const drawn = await cost.locator('.u-legend .u-label').allInnerTexts();
    for (const label of labels) assert.ok(drawn.includes(label), `by ${by}: ${drawn.join(', ')}`);
  }

  // A range with nothing in it says so.
  await page.goto(`${server.url}/dashboard?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`);
  await page.getByText('No traces in this time range.').waitFor();
  assert.deepEqual(seen, { dialogs: [], errors: [] });
  await page.close();
});

// "$1.50" / "−$0.1230" / "+$5.40 (+20%)" → the signed amount.
const shownUsd = (text) => (/^[−-]/.test(text) ? -1 : 1) * Number(/\$([\d.]+)/.exec(text)?.[1]);

test("the dashboard's what-if panel prices a model's calls at another model's prices", async () => {
  const whatIfKey = createKey(dataDir, { project: 'whatif' }).key;
  // gpt-4o calls with usage and no cost (the catalog prices them at ingest), a call of a model no
  // price knows, and one whose model name is markup.
  const evil = '<img src=x onerror=alert(1)>';
  const calls = [
    { name: 'answer', model: 'gpt-4o', agoMs: 0, input: 200_000, output: 50_000 },
    { name: 'answer', model: 'gpt-4o', agoMs: 30 * 60_000, input: 120_000, output: 30_000 },
    { name: 'answer', model: 'gpt-4o', agoMs: 3_600_000, input: 100_000, output: 20_000 },
    { name: 'draft', model: 'acme-draft', agoMs: 2 * 3_600_000, input: 50_000, output: 10_000 },
    { name: 'draft', model: evil, agoMs: 2 * 3_600_000, input: 10, output: 10 },
  ];
  await ingest(calls.flatMap(pricedTrace), whatIfKey);
  // A fixed 12-hour range, so the test can ask the API exactly what the page asks.
  const fromMs = Math.floor((Number(t0 / 1_000_000n) - 6 * 3_600_000) / 60_000) * 60_000;
  const range = { from: new Date(fromMs).toISOString(), to: new Date(fromMs + 12 * 3_600_000).toISOString() };
  const whatIf = (model, as) => getJson(server, `/api/v1/metrics/what-if?${new URLSearchParams({ model, as, ...range })}`, whatIfKey);

  const { page, seen } = await openUi(`/dashboard?${new URLSearchParams(range)}`, 'whatif');
  const panel = page.getByRole('region', { name: 'What if' });
  await panel.getByText('Pick the model whose prices to apply.').waitFor();
  // Model A: the models the range used, the costliest first and picked; names are text.
  const modelA = panel.getByLabel('What-if model');
  assert.equal(await modelA.inputValue(), 'gpt-4o');
  const used = await modelA.locator('option').allInnerTexts();
  assert.equal(used.length, 3, used.join(' | '));
  assert.match(used[0], /^gpt-4o \(3 calls, \$2\.05\)$/);
  assert.ok(used.includes('acme-draft (1 call, $0)') && used.includes(`${evil} (1 call, $0)`), used.join(' | '));

  const cells = async (label) => panel.locator('.what-if-table tbody tr').filter({ hasText: label }).locator('td').allInnerTexts();
  const fact = (label) => panel.locator('.what-if-facts > div')
    .filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd');
  // Within what the page's rounding can hide: cents above $1, 4 decimals above a cent, 2 digits below.
  const near = (text, usd, what) => assert.ok(Math.abs(shownUsd(text) - usd) <= 0.005 + 0.03 * Math.abs(usd), `${what}: ${text} vs ${usd}`);

  // Model B from the price list: the figures are the API's.
  await panel.getByLabel('What-if prices').selectOption('gpt-4o-mini');
  await page.waitForURL(/what_if_as=gpt-4o-mini/);
  const mini = await whatIf('gpt-4o', 'gpt-4o-mini');
  assert.equal(mini.status, 200, mini.body);
  const answer = mini.json;
  assert.equal(answer.calls, 3);
  assert.ok(answer.difference < 0, JSON.stringify(answer));
  await fact('Calls').filter({ hasText: '3' }).waitFor();
  assert.equal(await fact('Price used').innerText(), answer.price_id);
  assert.match(answer.price_id, /^openai\/gpt-4o-mini@/);
  assert.equal(await fact('Unpriced calls').innerText(), '0');
  const [actual, actualMonth] = await cells('Actual cost');
  const [asB, asBMonth] = await cells('At gpt-4o-mini prices');
  const [difference, differenceMonth] = await cells('Difference');
  near(actual, answer.actual_cost, 'actual');
  near(asB, answer.what_if_cost, 'what-if');
  near(difference, answer.difference, 'difference');
  near(actualMonth, answer.monthly_projection.actual_cost, 'actual per 30 days');
  near(asBMonth, answer.monthly_projection.what_if_cost, 'what-if per 30 days');
  near(differenceMonth, answer.monthly_projection.difference, 'difference per 30 days');
  const percent = `−${Math.round((-100 * answer.difference) / answer.actual_cost)}%`;
  assert.ok(difference.endsWith(`(${percent})`) && differenceMonth.endsWith(`(${percent})`), `${difference} / ${differenceMonth}`);
  await panel.scrollIntoViewIfNeeded();
  await panel.screenshot({ path: join(SCREENSHOTS, 'what-if.png') });

  // A model whose calls had no price: nothing to compare with, and the page says what is left out.
  await modelA.selectOption('acme-draft');
  await page.waitForURL(/what_if_model=acme-draft/);
  await panel.getByText('1 of the calls had no price').waitFor();
  const draft = (await whatIf('acme-draft', 'gpt-4o-mini')).json;
  assert.equal(draft.unpriced_calls, 1);
  assert.equal(await fact('Unpriced calls').innerText(), '1');
  assert.equal((await cells('Actual cost'))[0], '$0');
  near((await cells('Difference'))[0], draft.difference, 'difference of unpriced calls');
  assert.doesNotMatch((await cells('Difference'))[0], /%/);

  // A price that is gone (a link from before it was removed): the server's 400, as it said it.
  const gone = await whatIf('gpt-4o', 'no-such-model');
  assert.equal(gone.status, 400, gone.body);
  await page.goto(`${server.url}/dashboard?${new URLSearchParams({ ...range, what_if_model: 'gpt-4o', what_if_as: 'no-such-model' })}`);
  await panel.getByRole('alert').waitFor();
  assert.equal(await panel.getByRole('alert').innerText(), gone.json.error.message);
  assert.equal(await panel.getByLabel('What-if prices').inputValue(), 'no-such-model');
  assert.equal(await page.locator('img').count(), 0, 'a model name became markup');
  assert.deepEqual(seen, { dialogs: [], errors: [] });
  await page.close();
});

test('the run insight says how the run ended, lists findings with their steps and marks the critical path', async () => {
  const traceId = hex(16);
  await ingest(knownTrace(traceId));
  const { page, seen } = await openUi(`/traces/${traceId}`);
  const insight = page.getByLabel('Run insight');
  await insight.waitFor();
  const text = await insight.innerText();
  assert.match(text, /plan→act rounds/);
  assert.match(text, /Repeated tool call/, text);  // the six identical lookups
  // A finding's step link selects that step.
  await insight.locator('.finding-steps button').first().click();
  await page.locator('[role=treeitem][aria-selected=true]').filter({ hasText: 'lookup' }).first().waitFor();
  assert.match(text, /Failed/, 'the run ended on the failed reply');
  assert.equal(await page.locator('.bar-critical').count(), 0);
  await insight.getByLabel('Critical path').check();
  await page.locator('.bar-critical').first().waitFor();
  assert.ok(await page.locator('.critical-mark').count() >= 2, 'the root and a step on the path are marked');
  await page.screenshot({ path: join(SCREENSHOTS, 'insight.png') });
  assert.deepEqual(seen, { dialogs: [], errors: [] });
  await page.close();
});

test('a run compared with the typical earlier run shows the added step and the changed one', async () => {
  // Two earlier runs of "diff-agent" and a third that calls one more tool.
  const run = (traceId, startMs, extraTool) => {
    const root = span(traceId, { name: 'diff-agent', startMs, durMs: 1000 });
    const plan = span(traceId, { parent: root.spanId, name: 'plan', startMs: startMs + 10, durMs: 100 });
    const search = span(traceId, { parent: root.spanId, name: 'execute_tool search', startMs: startMs + 200, durMs: 100,
      attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' } });
    const extra = span(traceId, { parent: root.spanId, name: 'execute_tool fetch_page', startMs: startMs + 400, durMs: 300,
      attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'fetch_page' } });
    return extraTool ? [root, plan, search, extra] : [root, plan, search];
  };
  const latest = hex(16);
  await ingest([...run(hex(16), 0, false), ...run(hex(16), 2000, false), ...run(latest, 4000, true)]);
  const { page, seen } = await openUi(`/traces/${latest}`);
  await page.getByRole('link', { name: 'Compare with typical run' }).click();
  await page.waitForURL(/\/diff\?against=typical/);
  await page.getByText('Typical of the 2 previous runs').waitFor();
  const added = page.locator('tr.diff-added');
  await added.first().waitFor();
  assert.equal(await added.count(), 1);
  assert.match(await added.innerText(), /fetch_page/);
  await page.screenshot({ path: join(SCREENSHOTS, 'diff.png') });
  assert.deepEqual(seen, { dialogs: [], errors: [] });
  await page.close();
});

test('the workflow page shows an agent\'s steps and the branch a new release added', async () => {
  const run = (release, startMs, fetch) => {
    const traceId = hex(16);
    const root = span(traceId, { name: 'wf-ui-agent', startMs, durMs: 800, attrs: { 'langfuse.release': release } });
    const search = span(traceId, { parent: root.spanId, name: 'execute_tool search', startMs: startMs + 10, durMs: 100,
      attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' } });
    const extra = span(traceId, { parent: root.spanId, name: 'execute_tool fetch_page', startMs: startMs + 200, durMs: 100,
      attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'fetch_page' } });
    return fetch ? [root, search, extra] : [root, search];
  };
  await ingest([...run('r1', 0, false), ...run('r1', 1000, false), ...run('r2', 2000, true), ...run('r2', 3000, true)]);
  const { page, seen } = await openUi('/workflow');
  await page.getByLabel('Agent (trace name)').fill('wf-ui-agent');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator('.workflow-table tbody tr').nth(2).waitFor();
  assert.match(await page.locator('.workflow-page').innerText(), /4 runs/);
  await page.getByLabel('Compare: release before').fill('r1');
  await page.getByLabel('release after').fill('r2');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/before_release=r1&after_release=r2/);
  const added = page.locator('.workflow-changes .added');
  await added.first().waitFor();
  assert.match(await added.first().innerText(), /new step .*tool:fetch_page/);
  await page.screenshot({ path: join(SCREENSHOTS, 'workflow.png') });
  assert.deepEqual(seen, { dialogs: [], errors: [] });
  await page.close();
});

test('the UI is served with a strict CSP and the API keeps its deny-all one', async () => {
  const ui = await fetch(server.url + '/traces/x');
  assert.equal(ui.status, 200);
  assert.match(ui.headers.get('content-type'), /text\/html/);
  assert.match(ui.headers.get('content-security-policy'), /script-src 'self'; style-src 'self'/);
  const api = await fetch(server.url + '/api/v1/health');
  assert.equal(api.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
  const missing = await fetch(server.url + '/api/v1/nope', { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, 'not_found');
});

// No payload ran (the flag it sets), and none became markup: no inline script, no image or frame
// (the UI has none of its own), no SVG but React Flow's own edges, no javascript: link.
async function assertNothingInjected(page) {
  const found = await page.evaluate(() => ({
    flag: window.__xss ?? null,
    scripts: [...document.scripts].filter((s) => !s.src).length,
    media: document.querySelectorAll('img, iframe').length
      + [...document.querySelectorAll('svg')].filter((svg) => !svg.closest('.react-flow')).length,
    jsLinks: [...document.querySelectorAll('a')].filter((a) => a.href.startsWith('javascript:')).length,
  }));
  assert.deepEqual(found, { flag: null, scripts: 0, media: 0, jsLinks: 0 });
}

test('XSS payloads in names, keys, values and messages are shown as text and never run', async () => {
  const payloads = [
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '<script>window.__xss=2;alert(2)</script>',
    '"><svg onload="window.__xss=3">',
    'javascript:window.__xss=4',
    '<a href="javascript:window.__xss=5">click</a>',
  ];
  const traceId = hex(16);
  const root = span(traceId, { name: payloads[0], startMs: 0, durMs: 500, attrs: {
    'session.id': payloads[1], 'user.id': payloads[2], 'langfuse.trace.tags': JSON.stringify([payloads[3]]),
    [payloads[1]]: payloads[4], 'meta<b onmouseover=alert(9)>': { [payloads[0]]: payloads[2] },
  } });
  const llm = span(traceId, { parent: root.spanId, name: payloads[1], startMs: 10, durMs: 300, attrs: {
    'gen_ai.operation.name': 'chat', 'gen_ai.request.model': payloads[2],
    'gen_ai.input.messages': [{ role: payloads[0], parts: [{ type: 'text', content: payloads[1] }] }],
    'gen_ai.output.messages': [{ role: 'assistant', parts: [
      { type: 'text', content: `**md** [x](javascript:window.__xss=6) ![y](javascript:window.__xss=7) ${payloads[0]} ${payloads[1]}` },
      { type: 'tool_call', id: payloads[3], name: payloads[0], arguments: { [payloads[1]]: payloads[4] } }] }],
  } });
  const tool = span(traceId, { parent: root.spanId, name: payloads[4], startMs: 320, durMs: 100,
    status: { code: 2, message: payloads[0] }, attrs: {
      'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': payloads[2],
      'gen_ai.tool.call.arguments': payloads[1], 'gen_ai.tool.call.result': payloads[0],
    } });
  await ingest([root, llm, tool]);

  const { page, seen } = await openUi('/traces');
  await page.getByText(payloads[0], { exact: true }).first().waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'xss-traces.png') });
  await page.getByRole('link', { name: payloads[0] }).first().click();
  const tree = page.getByRole('tree');
  await tree.getByRole('treeitem').nth(2).waitFor();
  for (let i = 0; i < 3; i++) {
    await tree.getByRole('treeitem').nth(i).click();
    // Open every closed JSON level so every key and value is in the page.
    for (let round = 0; round < 4; round++) {
      const closed = page.locator('.json-toggle[aria-expanded="false"]');
      const n = await closed.count();
      for (let j = 0; j < n; j++) await closed.nth(0).click();
    }
    await page.getByRole('complementary', { name: 'Details' }).hover();
  }
  await page.screenshot({ path: join(SCREENSHOTS, 'xss-trace-view.png') });
  const pageText = await page.locator('body').innerText();
  assert.ok(pageText.includes(payloads[1]), 'the payload is visible as text');
  await assertNothingInjected(page);
  // The graphs draw the same names (canvas text, React Flow boxes) without running them.
  await page.getByRole('tab', { name: 'Flame graph' }).click();
  await page.waitForFunction(() => Number(document.querySelector('canvas.flame-canvas')?.dataset.frames) > 0);
  await page.getByRole('tab', { name: 'Agent graph' }).click();
  await page.locator('.react-flow__node').nth(2).waitFor();
  const graphText = await page.locator('.react-flow').innerText();
  assert.ok(graphText.includes(payloads[1]), `graph names are text:\n${graphText}`);
  await assertNothingInjected(page);
  await page.goto(`${server.url}/sessions/${encodeURIComponent(payloads[1])}`);
  await page.locator('.turn').first().waitFor();
  await page.screenshot({ path: join(SCREENSHOTS, 'xss-session.png') });
  assert.ok((await page.locator('body').innerText()).includes(payloads[0]), 'the session shows its trace');

  await assertNothingInjected(page);
  assert.deepEqual(seen, { dialogs: [], errors: [] });
  await page.close();
});

test('a sign-in link works once, and settings create a key whose secret is shown once', async () => {
  const link = loginLink(server, dataDir, 'default', '/settings');
  const { page, seen } = await openUiAt(link);
  await page.getByText('Sign out').waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the token is removed from the address bar');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'trackly_session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));
  assert.equal(await page.evaluate(() => document.cookie), '', 'no script can read the session cookie');

  await page.getByLabel('Key name').fill('from-the-ui');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = page.locator('.secret-once code').first();
  await secret.waitFor();
  const newKey = await secret.innerText();
  assert.match(newKey, /^tk-[0-9a-f]{16}-/);
  const res = await fetch(server.url + '/api/v1/traces', { headers: { Authorization: `Bearer ${newKey}` } });
  assert.equal(res.status, 200, 'the key made in the UI works');
  await page.screenshot({ path: join(SCREENSHOTS, 'settings.png') });
  await page.getByRole('button', { name: 'Done' }).click();
  assert.equal(await page.locator('.secret-once').count(), 0);
  assert.ok(!(await page.locator('body').innerText()).includes(newKey), 'the secret is not shown again');

  // Without the CSRF header the same cookie cannot change anything.
  const status = await page.evaluate(async () =>
    (await fetch('/api/v1/keys', { method: 'POST', body: '{"name":"forged"}' })).status);
  assert.equal(status, 403);

  // The link was used up: a second browser gets the sign-in page.
  const second = await openUiAt(link);
  await second.page.getByText('already used').waitFor();
  await second.page.close();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  assert.deepEqual(seen, { dialogs: [], errors: [] });
  await page.close();
});
