// A large trace in the web UI, in Debian's Chromium (playwright-core) against the real binary: the
// trace view loads the observations page by page (page_size=100 forces 31 pages for 3,001 spans),
// ends with every span in the tree, and a selected step's input, which summary pages leave out,
// shows after its on-demand load; the agent graph, open while the pages arrive, ends with every
// span's step. Also checks the paging API itself, since this is the test that
// has a big trace at hand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, loginLink } from './browser.mjs';
import { createKey, getJson, removeDir, startServer, tempDataDir } from './harness.mjs';
import { agentTraceSpans, ingestSpans } from './large_trace.mjs';

const PROJECT = 'large-ui';

let dataDir;
let server;
let key;
let browser;
let trace;

before(async () => {
  dataDir = tempDataDir();
  ({ key } = createKey(dataDir, { project: PROJECT }));
  server = await startServer(dataDir);
  trace = agentTraceSpans(3001);
  await ingestSpans(server, key, trace.spans);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  const { code } = await server.stop();
  assert.equal(code, 0);
  removeDir(dataDir);
});

test('the observation pages of a trace return every span once, summaries without payloads', async () => {
  const ids = new Set();
  let cursor = null;
  let pages = 0;
  do {
    const query = `fields=summary&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const { status, json } = await getJson(server, `/api/v1/traces/${trace.traceId}/observations?${query}`, key);
    assert.equal(status, 200);
    assert.equal('trace' in json, cursor === null, 'the trace comes with the first page only');
    for (const obs of json.data) {
      assert.ok(!ids.has(obs.id), `${obs.id} listed twice`);
      ids.add(obs.id);
      assert.equal('input' in obs, false);
      assert.ok(obs.stored_bytes > 0);
    }
    cursor = json.next_cursor;
    pages++;
  } while (cursor !== null);
  assert.equal(ids.size, trace.spans.length);
  assert.equal(pages, 4);

  const plan = trace.spans.find((s) => s.name === 'plan 7');
  const one = await getJson(server, `/api/v1/traces/${trace.traceId}/observations/${plan.spanId}`, key);
  assert.equal(one.status, 200);
  assert.match(JSON.stringify(one.json.input), /question 7:/);

  const bad = await getJson(server, `/api/v1/traces/${trace.traceId}/observations?limit=0`, key);
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /limit/);
  const other = createKey(dataDir, { project: 'someone-else' });
  const hidden = await getJson(server, `/api/v1/traces/${trace.traceId}/observations`, other.key);
  assert.equal(hidden.status, 404);
});

test('the trace view loads a 3,001-span trace in pages and a step\'s input on demand', async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const summaryPages = [];
  page.on('request', (r) => { if (r.url().includes('/observations?')) summaryPages.push(r.url()); });
  await page.goto(loginLink(server, dataDir, PROJECT, `/traces/${trace.traceId}?page_size=100`));

  // Every span ends up in the view: the counts of loaded steps reach the trace's, the progress
  // line goes away, and the last turn is in the tree.
  const total = (label) => page.locator('.total', { hasText: label }).locator('.total-value');
  await page.waitForFunction(() => document.querySelector('.trace-view') && !document.querySelector('.trace-progress'));
  assert.equal(await total('Model calls').innerText(), String(trace.turns));
  assert.equal(await total('Tool calls').innerText(), String(2 * trace.turns));
  assert.equal(summaryPages.length, Math.ceil(trace.spans.length / 100));
  await page.locator('.tt-rows').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  const last = trace.turns - 1;
  await page.getByRole('treeitem', { name: `lookup ${last}` }).waitFor();

  // Selecting a model call fetches it in full: its input (not in any summary page) shows.
  await page.getByRole('treeitem', { name: `plan ${last}` }).click();
  const panel = page.getByRole('complementary', { name: 'Details' });
  await panel.getByText(`question ${last}: where is order`).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('the agent graph open while a trace loads in pages ends with every span\'s step', async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(loginLink(server, dataDir, PROJECT, `/traces/${trace.traceId}?page_size=100`));
  await page.locator('[role=treeitem]').first().waitFor();
  await page.getByRole('tab', { name: 'Agent graph' }).click();
  await page.waitForFunction(() => document.querySelector('.trace-view') && !document.querySelector('.trace-progress'));

  // Names are unique per turn, so every span is its own step: the graph shows the 200 with the
  // most time (the agent and 199 turns, one call each) and counts the rest, from all 31 pages.
  const hiddenSteps = trace.spans.length - 200;
  const check = async () => {
    await page.getByText(`${hiddenSteps} steps with the least time not shown`).waitFor();
    assert.equal(await page.locator('.react-flow__node').count(), 200);
    assert.equal(await page.locator('.react-flow__node', { hasText: 'support-agent' }).count(), 1);
  };
  await check();
  // Back from the tree, the graph is the one already built.
  await page.getByRole('tab', { name: 'Tree & timeline' }).click();
  await page.locator('[role=treeitem]').first().waitFor();
  await page.getByRole('tab', { name: 'Agent graph' }).click();
  await check();
  assert.deepEqual(errors, []);
  await context.close();
});
