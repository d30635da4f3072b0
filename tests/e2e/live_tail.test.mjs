// Live tail (docs/api.md "GET /api/v1/tail"): through the real binary, a waiting long poll is
// answered with the caller's project's matching spans only, as they are ingested;
// `trackly tail` run as a child process prints a span ingested after it started; and the UI's
// Live page (Debian's Chromium) shows a span as it arrives, as text, linking to its trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BINARY, startServer, tempDataDir, removeDir, createKey, getJson } from './harness.mjs';
import { injectionFindings, launchBrowser, loginLink, watchForInjections } from './browser.mjs';
import { jsonSpan, jsonRequest, postJson, hex } from './otlp_payloads.mjs';

let dataDir, server, keyA, keyB;

before(async () => {
  dataDir = tempDataDir();
  keyA = createKey(dataDir, { project: 'default', scopes: 'ingest,read' }).key;
  keyB = createKey(dataDir, { project: 'other', scopes: 'ingest,read' }).key;
  server = await startServer(dataDir);
});

after(async () => {
  await server?.stop();
  removeDir(dataDir);
});

async function ingest(key, spans) {
  const sent = await postJson(server, key, jsonRequest(spans));
  assert.equal(sent.status, 200, sent.text);
}

const toolSpan = (traceId, name) =>
  jsonSpan({ traceId, name, attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name } });

test('a waiting request gets only its own project\'s matching spans, as they arrive', async () => {
  // From now: answered at once with where to follow from (this starts both projects' watch).
  const start = await getJson(server, '/api/v1/tail?wait_ms=0', keyA);
  assert.equal(start.status, 200, start.body);
  assert.deepEqual(start.json.data, []);
  assert.equal((await getJson(server, '/api/v1/tail?wait_ms=0', keyB)).status, 200);

  const traceA = hex(16);
  const traceB = hex(16);
  const waiting = getJson(server, `/api/v1/tail?after=${start.json.next}&wait_ms=30000&type=tool`, keyA);
  await ingest(keyA, [jsonSpan({ traceId: traceA, name: 'plan' })]);  // not a tool: no answer yet
  await ingest(keyB, [toolSpan(traceB, 'search')]);                  // another project: never
  await ingest(keyA, [toolSpan(traceA, 'search')]);
  const answer = await waiting;
  assert.equal(answer.status, 200, answer.body);
  assert.equal(answer.json.data.length, 1, answer.body);
  const [entry] = answer.json.data;
  assert.equal(entry.trace_id, traceA);
  assert.equal(entry.type, 'tool');
  assert.equal(entry.name, 'search');
  assert.equal(entry.seq, start.json.next + 2);
  assert.equal(answer.json.next, entry.seq);
  assert.equal(answer.json.dropped, 0);
  assert.ok(!answer.body.includes(traceB), answer.body);

  // The other project sees its own span, numbered in its own sequence.
  const other = await getJson(server, '/api/v1/tail?after=0&wait_ms=0', keyB);
  assert.deepEqual(other.json.data.map((e) => e.trace_id), [traceB]);

  const bad = await getJson(server, '/api/v1/tail?type=spans', keyA);
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /parameter 'type'/);
});

// Starts `trackly tail` and resolves once it says it is following; lines() gives its stdout so far.
function startTail(args) {
  const child = spawn(BINARY, ['tail', '--url', server.url, '--key', keyA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  let stderr = '';
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    out.push(line);
    waiters.forEach((w) => w());
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const following = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('following the live tail')) resolve();
    });
    exited.then(({ code, signal }) => reject(new Error(`trackly tail exited (${code}, ${signal}): ${stderr}`)));
  });
  // Resolves with the first stdout line matching `pattern`.
  const lineMatching = (pattern) => new Promise((resolve) => {
    const check = () => {
      const line = out.find((l) => pattern.test(l));
      if (line !== undefined) resolve(line);
    };
    waiters.push(check);
    check();
  });
  return { following, lineMatching, stop: () => { child.kill('SIGINT'); return exited; }, stderr: () => stderr };
}

test('`trackly tail` prints a span ingested after it started, as text and as JSON lines', async () => {
  const text = startTail(['--filter', 'name=from-cli']);
  const json = startTail(['--json', '--filter', 'name=from-cli', '--filter', 'status=error']);
  try {
    await Promise.all([text.following, json.following]);
    const ok = hex(16);
    const failed = hex(16);
    await ingest(keyA, [jsonSpan({ traceId: hex(16), name: 'ignored' })]);
    await ingest(keyA, [jsonSpan({ traceId: ok, name: 'from-cli', status: { code: 1 } })]);
    await ingest(keyA, [jsonSpan({ traceId: failed, name: 'from-cli', status: { code: 2, message: 'boom' } })]);

    const line = await text.lineMatching(new RegExp(ok.slice(0, 8)));
    assert.match(line, /from-cli/);
    assert.match(line, /\bok\b/);
    const errorLine = await text.lineMatching(new RegExp(failed.slice(0, 8)));
    assert.match(errorLine, /✗.*from-cli.*error$/);

    const jsonLine = await json.lineMatching(/from-cli/);
    const entry = JSON.parse(jsonLine);
    assert.equal(entry.trace_id, failed);  // only the failed one passes status=error
    assert.equal(entry.status, 'error');
  } finally {
    const [t, j] = await Promise.all([text.stop(), json.stop()]);
    assert.equal(t.signal, 'SIGINT', text.stderr());
    assert.equal(j.signal, 'SIGINT', json.stderr());
  }
});

test('`trackly tail` with a bad filter stops with the server\'s message', async () => {
  const child = spawn(BINARY, ['tail', '--url', server.url, '--key', keyA, '--filter', 'colour=red'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  // 'close', not 'exit': it comes once stderr is drained too.
  const { code } = await new Promise((resolve) => child.on('close', (c, signal) => resolve({ code: c, signal })));
  assert.equal(code, 1, stderr);
  assert.match(stderr, /unknown parameter 'colour'/);
});

test('the Live page shows a span as it arrives, newest on top, as text, linking to its trace', async () => {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const findings = await watchForInjections(context);
    const page = await context.newPage();
    const res = await page.goto(loginLink(server, dataDir, 'default', '/live?type=tool'));
    assert.equal(res.status(), 200);
    await page.getByText('following', { exact: true }).waitFor();

    const traceId = hex(16);
    const hostile = '<img src=x onerror="window.__xss=1">';
    await ingest(keyA, [jsonSpan({ traceId, name: 'plan' })]);  // not a tool: not shown
    await ingest(keyA, [toolSpan(traceId, 'first-tool')]);
    await ingest(keyA, [{ ...toolSpan(traceId, hostile), attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } },
      { key: 'input.value', value: { stringValue: hostile } }] }]);
    const rows = page.locator('table.live-table tbody tr');
    await rows.filter({ hasText: 'first-tool' }).waitFor();
    await rows.filter({ hasText: 'onerror' }).first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), /onerror/, 'the newest is on top');
    assert.match(await rows.nth(1).innerText(), /first-tool/);
    assert.equal(await page.locator('table.live-table img').count(), 0, 'names and previews are text');

    await rows.nth(1).getByRole('link').click();
    await page.waitForURL(new RegExp(`/traces/${traceId}$`));
    assert.deepEqual(await injectionFindings(page, findings), []);
    await context.close();
  } finally {
    await browser.close();
  }
});
