// Alerts (docs/insight.md "Alerts"): the real binary evaluates a project's alert rules every
// second and delivers their transitions, signed, to a webhook, here a node http receiver on
// 127.0.0.1 (allowed by --alert-webhooks-allow-private). Error spans make a rule fire; the
// receiver answers 500 to the first attempt, so the delivery is retried and then delivered, each
// attempt with a valid HMAC signature; the events list shows it delivered; good spans resolve the
// rule; the Alerts page in Chromium shows the rule and both events; a test delivery answers with
// its outcome; the CLI shows the rules and their last events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDataDir, removeDir, createKey, getJson, cli, BINARY } from './harness.mjs';
import { jsonSpan, jsonRequest, postJson } from './otlp_payloads.mjs';
import { launchBrowser, loginLink } from './browser.mjs';

let dataDir, server, key, receiver, hookUrl, secret;
// Every request the receiver got: {headers, body (string), status answered}.
const received = [];
// Statuses to answer, in order; 200 once they run out.
const answers = [];
// Callbacks waiting for a request that matches.
const waiters = [];

function verify(headers, body) {
  const id = headers['trackly-webhook-id'] ?? '';
  const timestamp = headers['trackly-webhook-timestamp'] ?? '';
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('hex')}`);
  const given = Buffer.from(headers['trackly-signature'] ?? '');
  return id !== '' && /^\d+$/.test(timestamp) && given.length === expected.length && timingSafeEqual(given, expected);
}

// Resolves with the first request received (now or later) for which `match(request)` holds.
function nextRequest(match, what) {
  const found = received.find(match);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no webhook request ${what} within 30 s: ${JSON.stringify(received)}`)), 30_000);
    waiters.push({ match, resolve: (r) => { clearTimeout(timer); resolve(r); } });
  });
}

// Tool calls of "search": `failed` failing ones, then `ok` good ones, each its own trace.
function searchCalls(failed, ok) {
  const spans = [];
  for (let i = 0; i < failed + ok; i++) {
    spans.push(jsonSpan({
      name: 'execute_tool search',
      attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' },
      ...(i < failed ? { status: { code: 2, message: 'search backend down' } } : {}),
    }));
  }
  return jsonRequest(spans);
}

async function api(method, path, body) {
  const res = await fetch(server.url + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}

// The project's alert events once `done(events)` holds (the delivery outcome is written after the
// receiver answered; polled up to 20 s).
async function eventsWhen(done) {
  const deadline = Date.now() + 20_000;
  while (true) {
    const events = await getJson(server, '/api/v1/alerts/events', key);
    assert.equal(events.status, 200, events.body);
    if (done(events.json.data) || Date.now() > deadline) return events.json.data;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: answers.shift() ?? 200 };
      received.push(request);
      res.writeHead(request.status, { 'Content-Type': 'text/plain' }).end('ok');
      for (const waiter of waiters.filter((w) => w.match(request))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(request);
      }
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hooks/trackly`;
  dataDir = tempDataDir();
  key = createKey(dataDir, { scopes: 'ingest,read,admin' }).key;
  server = await startServer(dataDir, ['--alert-interval-s', '1', '--alert-webhooks-allow-private', 'true']);
  const put = await api('PUT', '/api/v1/alerts', {
    rules: [{
      name: 'search errors', metric: { measure: 'error_rate', filters: { tool: 'search' } }, window_minutes: 5,
      condition: 'above', threshold: 0.5, min_count: 1, webhook: hookUrl,
    }],
  });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  secret = put.json.webhook_secret;
  assert.match(secret, /^whsec_[0-9a-f]{64}$/);
});

after(async () => {
  await server?.stop();
  removeDir(dataDir);
  receiver?.close();
});

test('error spans make the rule fire; a 500 is retried; every attempt is signed; the event shows delivered', async () => {
  answers.push(500);  // the first attempt fails
  const sent = await postJson(server, key, searchCalls(3, 0));
  assert.equal(sent.status, 200, sent.text);
  const delivered = await nextRequest((r) => r.status === 200 && JSON.parse(r.body).state === 'firing', 'firing, answered 200');
  const attempts = received.filter((r) => JSON.parse(r.body).state === 'firing');
  assert.equal(attempts.length, 2, 'one failed attempt, then the retry');
  assert.equal(attempts[0].status, 500);
  for (const attempt of attempts) {
    assert.ok(verify(attempt.headers, attempt.body), `bad signature: ${JSON.stringify(attempt.headers)}`);
    assert.equal(attempt.headers['content-type'], 'application/json');
  }
  // One delivery: the same id on both attempts, for the receiver to drop repeats.
  assert.equal(attempts[0].headers['trackly-webhook-id'], attempts[1].headers['trackly-webhook-id']);
  // A signature made with another secret is not accepted by the check.
  assert.ok(!verify({ ...delivered.headers, 'trackly-signature': `v1=${'0'.repeat(64)}` }, delivered.body));

  const body = JSON.parse(delivered.body);
  assert.equal(body.alert, 'search errors');
  assert.equal(body.project, 'default');
  assert.equal(body.state, 'firing');
  assert.equal(body.value, 1);
  assert.equal(body.threshold, 0.5);
  assert.equal(body.condition, 'above');
  assert.equal(body.window_minutes, 5);
  assert.deepEqual(body.metric, { measure: 'error_rate', level: 'observation', filters: { tool: 'search' } });
  assert.match(body.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  const events = await eventsWhen((data) => data.length > 0 && data[0].delivery !== 'pending');
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.equal(events[0].alert, 'search errors');
  assert.equal(events[0].state, 'firing');
  assert.equal(events[0].delivery, 'delivered');
  assert.equal(events[0].attempts, 2);
  assert.equal(events[0].http_status, 200);

  const alerts = await getJson(server, '/api/v1/alerts', key);
  assert.equal(alerts.json.rules[0].status.state, 'firing');
  assert.equal(alerts.json.rules[0].status.value, 1);
});

test('staying above the threshold sends nothing more; good spans resolve the rule', async () => {
  const firingSeen = received.length;
  const sent = await postJson(server, key, searchCalls(0, 20));
  assert.equal(sent.status, 200, sent.text);
  const resolved = await nextRequest((r) => JSON.parse(r.body).state === 'resolved', 'resolved');
  assert.ok(verify(resolved.headers, resolved.body));
  assert.ok(JSON.parse(resolved.body).value < 0.5);
  // Between the firing delivery and the resolution nothing else was sent.
  assert.deepEqual(received.slice(firingSeen).map((r) => JSON.parse(r.body).state), ['resolved']);
  const events = await eventsWhen((data) => data.length === 2 && data[0].delivery === 'delivered');
  assert.deepEqual(events.map((e) => `${e.state} ${e.delivery}`), ['resolved delivered', 'firing delivered']);
});

test('the Alerts page shows the rule with its state and both events with their deliveries', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(loginLink(server, dataDir, 'default', '/alerts'));
    const rules = page.locator('.alerts-table');
    await rules.getByText('search errors').waitFor();
    const rule = await rules.locator('tbody tr').first().innerText();
    assert.match(rule, /search errors/);
    assert.match(rule, /\bok\b/);  // resolved by the good spans
    assert.match(rule, /hooks\/trackly/);
    const events = await page.locator('.alert-events-table tbody tr').allInnerTexts();
    assert.equal(events.length, 2, events.join('\n'));
    assert.match(events[0], /search errors\s+resolved/);
    assert.match(events[1], /search errors\s+firing/);
    for (const event of events) assert.match(event, /delivered/);
  } finally {
    await browser.close();
  }
});

test('a test delivery goes to the webhook now and answers with its outcome', async () => {
  const tested = await api('POST', `/api/v1/alerts/test?name=${encodeURIComponent('search errors')}`);
  assert.equal(tested.status, 200, JSON.stringify(tested.json));
  assert.deepEqual(tested.json, { alert: 'search errors', delivered: true, attempts: 1, http_status: 200, error: null });
  const request = await nextRequest((r) => JSON.parse(r.body).state === 'test', 'test');
  assert.ok(verify(request.headers, request.body));
  // No event is recorded for a test.
  assert.equal((await getJson(server, '/api/v1/alerts/events', key)).json.data.length, 2);
});

test('the CLI shows the rules with their last event and the signing secret', () => {
  const shown = JSON.parse(cli(['alerts', 'show', '--project', 'default', '--data', dataDir, '--json']));
  assert.equal(shown.project, 'default');
  assert.equal(shown.webhook_secret, secret);
  assert.equal(shown.rules[0].name, 'search errors');
  const table = cli(['alerts', 'show', '--project', 'default', '--data', dataDir]);
  assert.match(table, /search errors/);
  assert.match(table, /resolved .* \(delivered\)/);
  assert.match(table, new RegExp(`Webhook signing secret: ${secret}`));
});

test('the CLI sets rules from a file, refusing a private webhook unless told the server allows it', () => {
  const file = join(dataDir, 'alerts.json');
  writeFileSync(file, JSON.stringify({ rules: [{
    name: 'hourly cost', metric: { measure: 'cost' }, window_minutes: 60, condition: 'above', threshold: 5, webhook: hookUrl,
  }] }));
  const refused = (() => {
    try {
      execFileSync(BINARY, ['alerts', 'set', '--project', 'default', '--file', file, '--data', dataDir],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return null;
    } catch (e) { return e; }
  })();
  assert.ok(refused, 'a loopback webhook was accepted without --allow-private-webhooks');
  assert.match(String(refused.stderr), /rule 0 \("hourly cost"\): webhook:/);
  const set = cli(['alerts', 'set', '--project', 'default', '--file', file, '--allow-private-webhooks', '--data', dataDir]);
  assert.match(set, /Set 1 alert rule\(s\) for project 'default'/);
  const shown = JSON.parse(cli(['alerts', 'show', '--project', 'default', '--data', dataDir, '--json']));
  assert.deepEqual(shown.rules.map((r) => r.name), ['hourly cost']);
  assert.equal(shown.webhook_secret, secret, 'the secret stays');
  const audit = JSON.parse(cli(['audit', '--project', 'default', '--action', 'alerts.update', '--data', dataDir, '--json']));
  assert.equal(audit.data.length, 2, JSON.stringify(audit));  // the API's PUT and this set
});
