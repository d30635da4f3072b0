// The trace view shows a trace's scores, in a real browser (Debian's Chromium driven by
// playwright-core) against the real binary: scores sent through Langfuse ingestion appear under
// the trace header, a score about a step also in that step's detail panel, and a value or comment
// that looks like HTML is shown as text. A screenshot goes to build/e2e-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { launchBrowser, loginLink } from './browser.mjs';
import { BINARY, startServer, createKey, tempDataDir, removeDir } from './harness.mjs';

const PROJECT = 'scores-ui';
const SCREENSHOTS = process.env.TRACKLY_SCREENSHOTS ?? join(dirname(BINARY), 'e2e-screenshots');

let dataDir;
let server;
let keyPair;
let browser;

before(async () => {
  dataDir = tempDataDir();
  keyPair = createKey(dataDir, { project: PROJECT });
  server = await startServer(dataDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  const { code } = await server.stop();
  assert.equal(code, 0);
  removeDir(dataDir);
});

// POST /api/public/ingestion as the legacy Langfuse client does (Basic public:secret).
async function langfuseIngest(batch) {
  const res = await fetch(`${server.url}/api/public/ingestion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json',
               authorization: `Basic ${Buffer.from(`${keyPair.public_key}:${keyPair.secret_key}`).toString('base64')}` },
    body: JSON.stringify({ batch }),
  });
  assert.equal(res.status, 207);
  const reply = await res.json();
  assert.deepEqual(reply.errors, []);
}

test('the trace view shows the trace\'s scores, and a step\'s scores in its detail panel, as text', async () => {
  const traceId = randomUUID();
  const now = Date.now();
  const at = (ms) => new Date(now - 60_000 + ms).toISOString();
  const event = (type, body, ms) => ({ id: randomUUID(), type, timestamp: at(ms), body });
  const hostile = '<img src=x onerror="alert(1)">';
  await langfuseIngest([
    event('trace-create', { id: traceId, name: 'graded-answer', timestamp: at(0) }, 0),
    event('span-create', { id: 'draft', traceId, name: 'draft-reply', startTime: at(10), endTime: at(500) }, 10),
    event('score-create', { id: 'sc-help', traceId, name: 'helpfulness', value: 0.875, comment: 'clear and short' }, 600),
    event('score-create', { id: 'sc-grounded', traceId, observationId: 'draft', name: 'grounded', value: 1,
                            dataType: 'BOOLEAN', comment: hostile, source: 'EVAL' }, 700),
  ]);

  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const res = await page.goto(loginLink(server, dataDir, PROJECT, `/traces/${traceId}`));
  assert.equal(res.status(), 200);

  // Under the header: both scores, newest first, with value, comment, source and step.
  const header = page.locator('.trace-scores');
  await header.getByText('Scores (2)').waitFor();
  const rows = header.locator('tbody tr');
  assert.equal(await rows.count(), 2);
  assert.deepEqual(await rows.nth(0).locator('td').allInnerTexts(), ['grounded', 'true', hostile, 'EVAL', 'draft-reply']);
  assert.deepEqual(await rows.nth(1).locator('td').allInnerTexts(), ['helpfulness', '0.875', 'clear and short', 'API', 'trace']);
  assert.equal(await page.locator('.trace-scores img').count(), 0, 'the comment is text, not markup');

  // The step link selects the step; its detail panel lists its own score only.
  await rows.nth(0).getByRole('button', { name: 'draft-reply' }).click();
  const panel = page.getByRole('complementary', { name: 'Details' });
  await panel.getByRole('heading', { name: 'draft-reply' }).waitFor();
  const panelRows = panel.locator('table.scores tbody tr');
  await panelRows.first().waitFor();  // once the step's full observation has loaded
  assert.equal(await panelRows.count(), 1);
  assert.deepEqual((await panelRows.nth(0).locator('td').allInnerTexts()).slice(0, 2), ['grounded', 'true']);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, 'trace-scores.png') });

  // The root has no score of its own: no scores section in its panel.
  await page.locator('.tt-row', { hasText: 'graded-answer' }).first().click();
  await panel.getByRole('heading', { name: 'graded-answer' }).waitFor();
  await panel.locator('dl.facts').first().waitFor();  // its full detail is shown
  assert.equal(await panel.locator('table.scores').count(), 0);
  assert.deepEqual(dialogs, []);
  await context.close();
});
