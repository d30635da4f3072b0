// Hostile rendering, swept (docs/ui.md "Safety"): every payload of xss_payloads.mjs (500+) goes
// into every kind of field the UI shows — span names, attribute keys and values, chat messages
// (markdown too), tool calls, arguments and results, status messages, exception events, session
// and user ids, tags, metadata, scores, model names, environments and releases, key names, price
// entries and audit events — through the real server (OTLP/JSON, Langfuse ingestion, LangSmith
// runs and feedback, POST /api/v1/scores when the binary has it, the admin API), and every page
// of the UI is loaded in Debian's Chromium: the trace list (filtered by payloads too), each trace
// view with every step selected and every JSON level opened, the flame graph and agent graph, the
// scores, sessions and a session, the dashboard, settings, the audit log and the sign-in page.
//
// A watcher in every document (browser.mjs watchForInjections) records any payload that runs,
// any CSP violation and any element the UI never makes (script, image, frame, SVG outside React
// Flow, on* attributes, javascript:/data: URLs …); each page must end with none, and must show
// every payload meant for it as text (its `xss=<id>` marker), so the sweep cannot pass by
// rendering nothing. A failure names the payload by its id. A first test checks the watcher on
// the payloads written into a page as HTML.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { launchBrowser, loginLink, watchForInjections, injectionFindings } from './browser.mjs';
import { startServer, createKey, tempDataDir, removeDir, getJson, dottedOrderSegment } from './harness.mjs';
import { hex, jsonRequest, postJson } from './otlp_payloads.mjs';
import { xssPayloads, kPrototypeKeys, payloadIdsIn } from './xss_payloads.mjs';

const PROJECT = 'xss';
const PAYLOADS = xssPayloads();
const byId = new Map(PAYLOADS.map((p) => [p.id, p]));
const ALL = PAYLOADS.map((p) => p.id);

let dataDir;
let server;
let keyPair; // ingest, read and admin
let browser;

const chunk = (list, size) => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));
const md = (p) => `**xss#${p.id}** ${p.text}`; // forces the markdown renderer, and names the payload in its text
const keyed = (list) => Object.fromEntries(list.map((p) => [p.text, p.text]));

// ---- ingestion -----------------------------------------------------------------------------

// OTLP AnyValue of a JS value: objects become kvlists, arrays arrays.
function anyValue(v) {
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  if (v !== null && typeof v === 'object') return { kvlistValue: { values: attributes(v) } };
  return { stringValue: String(v) };
}
const attributes = (object) => Object.entries(object).map(([key, v]) => ({ key, value: anyValue(v) }));

const t0 = BigInt(Date.now() - 10 * 60_000) * 1_000_000n;
const at = (ms) => String(t0 + BigInt(Math.round(ms * 1000)) * 1000n);
function span(traceId, { id = hex(8), parent, name, startMs, durMs, attrs = {}, status, events = [] }) {
  return {
    traceId, spanId: id, ...(parent ? { parentSpanId: parent } : {}), name, kind: 1,
    startTimeUnixNano: at(startMs), endTimeUnixNano: at(startMs + durMs), attributes: attributes(attrs),
    events: events.map((e) => ({ timeUnixNano: at(startMs + 1), name: e.name, attributes: attributes(e.attrs) })),
    ...(status ? { status } : {}),
  };
}

async function ingestOtlp(spans) {
  for (const part of chunk(spans, 500)) {
    const res = await postJson(server, keyPair.key, jsonRequest(part, 'xss-sweep'));
    assert.equal(res.status, 200, res.text);
  }
}

// One trace per slice of ≤150 payloads (the agent graph draws at most 200 steps): a step per
// payload, named with it and failing with it (status message, exception type, message and stack),
// with it as an attribute key and value (also nested) and as an event's name, key and value; even
// steps are model calls (model, provider, prompt, the payload as the user's message and as
// markdown with a tool call named, identified and argued by it), odd ones tool calls (tool name,
// call id, arguments, result). Then a model call with every payload of the slice as a message
// (and as its role) and a tool call with all of them as arguments and result.
function sweepTrace(index, slice) {
  const traceId = hex(16);
  const root = span(traceId, { name: `xss sweep ${index + 1}`, startMs: 0, durMs: slice.length * 10 + 100, attrs: {
    'xss.keys': keyed(slice),
    ...Object.fromEntries(kPrototypeKeys.map((key, i) => [key, slice[i % slice.length].text])),
  } });
  const steps = slice.map((p, k) => {
    const t = p.text;
    const kind = k % 2 === 0 ? {
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': t, 'gen_ai.request.model': t, 'gen_ai.prompt.name': t,
      'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: t }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [
        { type: 'text', content: md(p) }, { type: 'tool_call', id: t, name: t, arguments: { [t]: t } }] }]),
    } : {
      'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': t, 'gen_ai.tool.call.id': t,
      'gen_ai.tool.call.arguments': JSON.stringify({ [t]: t }), 'gen_ai.tool.call.result': t,
    };
    return span(traceId, {
      parent: root.spanId, name: t, startMs: 10 + k * 10, durMs: 9, status: { code: 2, message: t },
      attrs: { ...kind, [t]: t, 'xss.nested': { [t]: [t, { [t]: t }] }, [`langfuse.observation.metadata.${t}`]: t },
      events: [
        { name: 'exception', attrs: { 'exception.type': t, 'exception.message': t, 'exception.stacktrace': `${t}\n    at ${t}` } },
        { name: t, attrs: { [t]: t } },
      ],
    });
  });
  const end = 10 + slice.length * 10;
  const chat = span(traceId, { parent: root.spanId, name: 'xss chat (every payload)', startMs: end, durMs: 40, attrs: {
    'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'xss-model',
    'gen_ai.input.messages': JSON.stringify(slice.map((p) => ({ role: p.text, parts: [{ type: 'text', content: p.text }] }))),
    'gen_ai.output.messages': JSON.stringify(slice.map((p) => ({ role: 'assistant', parts: [{ type: 'text', content: md(p) }] }))),
  } });
  const tool = span(traceId, { parent: root.spanId, name: 'xss tool (every payload)', startMs: end + 45, durMs: 40, attrs: {
    'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'xss-tool',
    'gen_ai.tool.call.arguments': JSON.stringify(keyed(slice)),
    'gen_ai.tool.call.result': slice.map((p) => p.text).join('\n'),
  } });
  return { traceId, spans: [root, ...steps, chat, tool], ids: slice.map((p) => p.id), steps: slice.length + 3,
    scored: slice.map((p, k) => ({ p, observationId: steps[k].spanId })) };
}

// A small trace per payload, for the lists: the payload is the trace's name, session, user, tag,
// environment, release, input, output (markdown) and metadata, and its model call's model and
// error message.
function carrierTrace(p, i) {
  const traceId = hex(16);
  const t = p.text;
  const root = span(traceId, { name: t, startMs: 2000 + i, durMs: 50, attrs: {
    'session.id': t, 'user.id': t, 'langfuse.trace.tags': JSON.stringify([t]), 'trackly.environment': t,
    'trackly.release': t, 'langfuse.trace.input': t, 'langfuse.trace.output': md(p), 'langfuse.trace.metadata.xss': t,
  } });
  const call = span(traceId, { parent: root.spanId, name: 'chat', startMs: 2001 + i, durMs: 40, status: { code: 2, message: t },
    attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': t,
      'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': 2 } });
  return [root, call];
}

// For the dashboard, which draws the 5 largest groups of a breakdown: 5 groups whose name, user,
// environment, model and prompt are each a fifth of the payloads joined, 3 costly failed traces
// each, so that together the charts' legends name every payload.
const kDashboardGroups = Array.from({ length: 5 }, (_, g) => PAYLOADS.filter((_, i) => i % 5 === g).map((p) => p.text).join(' '));
function dashboardTraces() {
  return kDashboardGroups.flatMap((label, g) => [0, 1, 2].flatMap((k) => {
    const traceId = hex(16);
    const root = span(traceId, { name: label, startMs: -(g * 3 + k) * 60_000, durMs: 5000 + g * 1000,
      status: { code: 2, message: 'failed' }, attrs: { 'user.id': label, 'trackly.environment': label } });
    const call = span(traceId, { parent: root.spanId, name: 'dashboard call', startMs: -(g * 3 + k) * 60_000 + 10, durMs: 4000, attrs: {
      'gen_ai.operation.name': 'chat', 'gen_ai.request.model': label, 'gen_ai.prompt.name': label,
      'langfuse.observation.prompt.version': 1, 'gen_ai.usage.input_tokens': 1_000_000, 'gen_ai.usage.output_tokens': 100_000,
      'gen_ai.usage.cost': 100 + g,
    } });
    return [root, call];
  }));
}

// One session of 6 turns whose inputs are payloads as markdown and outputs all of them as JSON.
const SESSION = `xss session ${PAYLOADS[0].text}`;
function sessionTraces() {
  return chunk(PAYLOADS, 100).flatMap((slice, k) => [span(hex(16), {
    name: `xss turn ${k + 1}`, startMs: 1000 + k * 100, durMs: 50, attrs: {
      'session.id': SESSION, 'langfuse.trace.input': slice.map(md).join('\n\n'),
      'langfuse.trace.output': JSON.stringify(keyed(slice)),
    } })]);
}

// Langfuse batch ingestion: a trace with hostile user, session, tags, metadata, input and output;
// a span per payload of a slice (id, name, status message, metadata, input, output), a generation, a
// retrieval whose documents are payloads, an event; a score per payload (name, categorical value,
// comment, source) on the trace and one per step of the slice; and traces whose very ids are payloads.
const LANGFUSE_TRACE = randomUUID();
const observationId = (p) => `obs ${p.text}`; // the steps' ids are payloads too
const kLangfuseSlice = PAYLOADS.filter((_, i) => i % 12 === 5);
const kHostileIds = PAYLOADS.filter((p) => p.family === 'handler').slice(0, 4)
  .concat(PAYLOADS.filter((p) => p.family === 'url').slice(0, 3), PAYLOADS.filter((p) => p.family === 'breakout').slice(0, 3));
async function ingestLangfuse() {
  const now = Date.now() - 5 * 60_000;
  const time = (ms) => new Date(now + ms).toISOString();
  const event = (type, body, ms = 0) => ({ id: randomUUID(), type, timestamp: time(ms), body });
  const traceId = LANGFUSE_TRACE;
  const batch = [
    event('trace-create', { id: traceId, name: 'xss langfuse', userId: PAYLOADS[1].text, sessionId: PAYLOADS[2].text,
      tags: kLangfuseSlice.map((p) => p.text),
      metadata: { ...keyed(kLangfuseSlice), ...Object.fromEntries(kPrototypeKeys.map((k) => [k, PAYLOADS[3].text])) },
      input: kLangfuseSlice.map((p) => p.text), output: md(PAYLOADS[4]) }),
    ...kLangfuseSlice.map((p, k) => event('span-create', { id: observationId(p), traceId, name: p.text, startTime: time(10 + k),
      endTime: time(11 + k), level: 'ERROR', statusMessage: p.text, metadata: { [p.text]: p.text }, input: { [p.text]: [p.text] },
      output: p.text }, 10 + k)),
    event('generation-create', { id: 'gen', traceId, name: 'xss langfuse generation', model: PAYLOADS[5].text,
      startTime: time(200), endTime: time(300), modelParameters: keyed(kLangfuseSlice.slice(0, 5)),
      input: kLangfuseSlice.map((p) => ({ role: 'user', content: p.text })),
      output: { role: 'assistant', content: kLangfuseSlice.map(md).join('\n\n') } }, 200),
    event('retriever-create', { id: 'retrieval', traceId, name: 'xss langfuse retrieval', startTime: time(310), endTime: time(320),
      input: PAYLOADS[6].text,
      output: kLangfuseSlice.map((p) => ({ page_content: p.text, id: p.text, score: 0.5, metadata: { [p.text]: p.text } })) }, 310),
    event('event-create', { id: 'event', traceId, name: PAYLOADS[7].text, startTime: time(330),
      metadata: { [PAYLOADS[7].text]: 1 } }, 330),
    ...kHostileIds.map((p, k) => event('trace-create', { id: p.text, name: p.text, userId: p.text }, 400 + k)),
  ];
  const scores = [
    ...PAYLOADS.map((p) => event('score-create', { id: `sc-${p.id}`, traceId, name: p.text, value: p.text,
      dataType: 'CATEGORICAL', comment: p.text, source: p.text }, 500)),
    ...kLangfuseSlice.map((p) => event('score-create', { id: `sc-obs-${p.id}`, traceId, observationId: observationId(p),
      name: p.text, value: 0.5, comment: p.text }, 600)),
  ];
  for (const part of [batch, ...chunk(scores, 300)]) {
    const res = await fetch(`${server.url}/api/public/ingestion`, {
      method: 'POST',
      headers: { 'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${keyPair.public_key}:${keyPair.secret_key}`).toString('base64')}` },
      body: JSON.stringify({ batch: part }),
    });
    assert.equal(res.status, 207);
    assert.deepEqual((await res.json()).errors, []);
  }
}

// LangSmith runs and feedback: a chain and its llm run, their names, inputs, outputs, errors,
// tags and metadata payloads, and feedback whose key, value and comment are payloads.
const LANGSMITH_TRACE = randomUUID();
const kLangsmithSlice = PAYLOADS.filter((_, i) => i % 30 === 7);
async function ingestLangsmith() {
  const ms = Date.now() - 4 * 60_000;
  const rootId = LANGSMITH_TRACE;
  const llmId = randomUUID();
  const [a, b, c] = kLangsmithSlice;
  const post = [
    { id: rootId, trace_id: rootId, dotted_order: dottedOrderSegment(ms, rootId), name: a.text, run_type: 'chain',
      start_time: ms, end_time: ms + 500, inputs: keyed(kLangsmithSlice), outputs: { output: md(b) }, error: c.text,
      tags: kLangsmithSlice.map((p) => p.text), extra: { metadata: { user_id: b.text, ...keyed(kLangsmithSlice) } } },
    { id: llmId, trace_id: rootId, parent_run_id: rootId,
      dotted_order: `${dottedOrderSegment(ms, rootId)}.${dottedOrderSegment(ms + 10, llmId)}`, name: b.text, run_type: 'llm',
      start_time: ms + 10, end_time: ms + 400, error: a.text,
      inputs: { messages: kLangsmithSlice.map((p) => ({ role: 'user', content: p.text })) },
      outputs: { choices: [{ index: 0, message: { role: 'assistant', content: kLangsmithSlice.map(md).join('\n\n') } }] },
      extra: { metadata: { ls_model_name: c.text, ls_provider: a.text } } },
  ];
  const runs = await fetch(`${server.url}/langsmith/runs/batch`, {
    method: 'POST', headers: { 'x-api-key': keyPair.key, 'content-type': 'application/json' }, body: JSON.stringify({ post }),
  });
  assert.ok(runs.ok, await runs.text());
  for (const p of kLangsmithSlice) {
    const res = await fetch(`${server.url}/langsmith/feedback`, {
      method: 'POST', headers: { 'x-api-key': keyPair.key, 'content-type': 'application/json' },
      body: JSON.stringify({ id: randomUUID(), run_id: llmId, trace_id: rootId, key: p.text, value: p.text, comment: p.text }),
    });
    assert.ok(res.ok, await res.text());
  }
}

// `fn` over `items`, `width` at a time.
async function inParallel(items, width, fn) {
  for (const part of chunk(items, width)) await Promise.all(part.map(fn));
}

async function adminJson(method, path, body) {
  const res = await fetch(server.url + path, {
    method, headers: { authorization: `Bearer ${keyPair.key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.text() };
}

let sweeps;
const kPriced = PAYLOADS.filter((_, i) => i % 40 === 3);

// A score on each step of the sweep traces whose name, value, comment and source are the step's
// payload, through POST /api/v1/scores.
async function postScores() {
  const post = ({ p, observationId }, traceId) => adminJson('POST', '/api/v1/scores',
    { trace_id: traceId, observation_id: observationId, name: p.text, value: p.text, comment: p.text, source: p.text });
  await inParallel(sweeps.flatMap((s) => s.scored.map((target) => [target, s.traceId])), 16, async ([target, traceId]) => {
    const res = await post(target, traceId);
    assert.equal(res.status, 201, res.body);
  });
}

before(async () => {
  dataDir = tempDataDir();
  keyPair = createKey(dataDir, { project: PROJECT, scopes: 'ingest,read,admin' });
  server = await startServer(dataDir);
  browser = await launchBrowser();

  sweeps = chunk(PAYLOADS, 150).map((slice, i) => sweepTrace(i, slice));
  await ingestOtlp([...sweeps.flatMap((s) => s.spans), ...PAYLOADS.flatMap(carrierTrace), ...dashboardTraces(), ...sessionTraces()]);
  await ingestLangfuse();
  await ingestLangsmith();
  await postScores();
  // Admin data: a key named by each payload, and price entries whose provider, model and match
  // are payloads (the match as a regex of the literal text).
  await inParallel(PAYLOADS, 16, async (p) => {
    const res = await adminJson('POST', '/api/v1/keys', { name: p.text, scopes: 'read' });
    assert.equal(res.status, 201, res.body);
  });
  for (const p of kPriced) {
    const match = p.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const res = await adminJson('POST', '/api/v1/models',
      { provider: p.text, model: p.text, match, valid_from: '2025-01-01', prices: { input: 1, output: 2 } });
    assert.equal(res.status, 201, res.body);
  }
  // Audit events whose targets are payloads: a view of each carrier's session (but those with a
  // NUL, which the server refuses in a path), and of the traces whose ids are payloads.
  await inParallel(PAYLOADS.filter((p) => !p.text.includes('\u0000')), 16, async (p) => {
    const res = await getJson(server, `/api/v1/sessions/${encodeURIComponent(p.text)}`, keyPair.key);
    assert.equal(res.status, 200, `session of payload ${p.id}: ${res.body}`);
  });
  for (const p of kHostileIds) {
    const res = await getJson(server, `/api/v1/traces/${encodeURIComponent(p.text)}`, keyPair.key);
    assert.equal(res.status, 200, `trace with payload ${p.id} as its id: ${res.body}`);
  }
});

after(async () => {
  await browser?.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0);
  }
  removeDir(dataDir);
});

// ---- the browser side ----------------------------------------------------------------------

// Installed in every page: waiting on a condition (no fixed sleeps), opening
// everything the UI keeps closed under `root` (JSON levels, "show all", <details>), and loading
// every page of a list.
const kSweepHelpers = () => {
  // A task of its own, through a message channel: timers nested this deep are held back 4 ms.
  const channel = new MessageChannel();
  const waiting = [];
  channel.port1.onmessage = () => waiting.shift()();
  const tick = () => new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(null); });
  // Resolves once `condition()` holds, checking it again on every change of the DOM.
  const until = (condition, what) => new Promise((resolve, reject) => {
    if (condition()) return resolve();
    const observer = new MutationObserver(() => {
      if (!condition()) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve();
    });
    const timer = setTimeout(() => { observer.disconnect(); reject(new Error(`gave up waiting for ${what}`)); }, 20_000);
    observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
  });
  const openAll = async (root) => {
    for (let round = 0; round < 40; round++) {
      for (const d of root.querySelectorAll('details:not([open])')) d.open = true;
      const closed = [...root.querySelectorAll('.json-toggle[aria-expanded="false"]'),
        ...[...root.querySelectorAll('button.link')].filter((b) => b.textContent.startsWith('show all'))];
      if (closed.length === 0) return;
      for (const el of closed) el.click();
      await tick();
    }
    throw new Error('still closed levels after 40 rounds');
  };
  const loadAll = async (rowSelector) => {
    await until(() => document.querySelector(rowSelector) && !document.querySelector('p.loading'), `rows ${rowSelector}`);
    for (;;) {
      const more = document.querySelector('button.load-more');
      if (!more) return document.querySelectorAll(rowSelector).length;
      const shown = document.querySelectorAll(rowSelector).length;
      more.click();
      await until(() => document.querySelectorAll(rowSelector).length > shown && !document.querySelector('p.loading'), 'the next page');
    }
  };
  window.__sweep = { tick, until, openAll, loadAll };
};

// A signed-in page at `path` in a fresh context watched for injections.
async function openWatched(path) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const findings = await watchForInjections(context);
  await context.addInitScript(kSweepHelpers);
  const page = await context.newPage();
  const res = await page.goto(loginLink(server, dataDir, PROJECT, path));
  assert.equal(res.status(), 200);
  await page.getByText('Sign out').waitFor();
  return { context, page, findings };
}

const describe = (id) => {
  const p = byId.get(id);
  return p ? `#${id} (${p.family}) ${JSON.stringify(p.text)}` : `#${id}`;
};

// Nothing ran, nothing was refused by the CSP, nothing became markup, nothing polluted.
async function assertClean(page, findings, where) {
  await injectionFindings(page, findings);
  const lines = findings.map((f) =>
    `${f.kind} at ${f.url}: ${f.detail}\n    payloads: ${payloadIdsIn(f.detail).map(describe).join('; ') || '?'}`);
  assert.deepEqual(lines, [], `${where}: ${lines.length} findings`);
}

// The payload ids whose marker is in `text` ("xss=<id>" of the payload, "xss#<id>" of md()).
function markersIn(text) {
  return new Set([...text.matchAll(/xss[=#](\d+)/g)].map((m) => Number(m[1])));
}

function assertShown(text, ids, what) {
  const found = markersIn(text);
  const missing = ids.filter((id) => !found.has(id));
  assert.deepEqual(missing.slice(0, 10).map(describe), [], `${what}: ${missing.length} of ${ids.length} payloads not shown`);
}

// Selects every step of the open trace in turn (scrolling the virtualized tree), waits for its
// full detail, opens everything closed in the panel, and returns the text of every row and panel.
async function visitEveryStep(page) {
  return page.evaluate(async () => {
    const { until, openAll } = window.__sweep;
    const scroller = document.querySelector('.tt-rows');
    const panel = document.querySelector('aside.detail-panel');
    await until(() => scroller.querySelector('[role="treeitem"]'), 'the tree');
    const rowPx = parseFloat(scroller.querySelector('[role="treeitem"]').style.height);
    const count = Math.round(parseFloat(scroller.firstElementChild.style.height) / rowPx);
    const title = () => [...(panel.querySelector('.detail-title')?.children ?? [])].find((c) => !c.classList.contains('type-icon'));
    const texts = [];
    for (let i = 0; i < count; i++) {
      const rowAt = () => [...scroller.querySelectorAll('[role="treeitem"]')].find((r) => parseFloat(r.style.top) === i * rowPx);
      if (!rowAt()) {
        scroller.scrollTop = i * rowPx;
        await until(rowAt, `row ${i}`);
      }
      const row = rowAt();
      const name = row.querySelector('.node-name').textContent;
      row.click();
      await until(() => title()?.textContent === name && panel.querySelector('dl.facts') && !panel.querySelector('.loading'),
        `the detail of row ${i}`);
      await openAll(panel);
      texts.push(row.textContent, panel.textContent);
    }
    return { count, text: texts.join('\n') };
  });
}

// Moves the mouse over the first two levels of the flame graph, a few pixels at a time, and
// returns every hover line it showed (the name of the frame under the mouse). Two passes: on a
// loaded machine the view can still be settling its size during the first (CI once missed ten
// neighbouring frames in one pass).
async function hoverEveryFrame(page) {
  return page.evaluate(async () => {
    const { tick } = window.__sweep;
    const canvas = document.querySelector('canvas.flame-canvas');
    const status = document.querySelector('.flame-status');
    const lines = new Set();
    for (let pass = 0; pass < 2; ++pass) {
      const rect = canvas.getBoundingClientRect();
      for (const y of [8, 28]) {
        for (let x = 1; x < rect.width; x += 3) {
          canvas.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: rect.left + x, clientY: rect.top + y }));
          await tick();
          lines.add(status.textContent);
        }
      }
    }
    return [...lines].join('\n');
  });
}

// The trace view of `traceId` (with `steps` steps, all distinct): header and scores opened, every
// step visited, then the flame graph (the mouse over every frame of the first two levels, for its
// hover line) and the agent graph.
async function sweepTraceView(page, traceId, steps) {
  await page.goto(`${server.url}/traces/${encodeURIComponent(traceId)}`);
  await page.getByRole('tree').waitFor();
  await page.evaluate(() => window.__sweep.until(() => !document.querySelector('.trace-progress'), 'every span'));
  await page.evaluate(() => window.__sweep.openAll(document.querySelector('.trace-header')));
  const header = await page.locator('.trace-header').innerText();
  const visited = await visitEveryStep(page);
  assert.equal(visited.count, steps, 'every step was visited');

  await page.getByRole('tab', { name: 'Flame graph' }).click();
  await page.waitForFunction(() => Number(document.querySelector('canvas.flame-canvas')?.dataset.frames) > 0);
  const flame = await hoverEveryFrame(page);

  await page.getByRole('tab', { name: 'Agent graph' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length >= n, steps);
  const graph = await page.locator('.react-flow').innerText();
  await page.getByRole('tab', { name: 'Tree & timeline' }).click();
  return { header, steps: visited.text, flame, graph };
}

// ---- the pages -----------------------------------------------------------------------------

test(`${PAYLOADS.length} payloads from ${new Set(PAYLOADS.map((p) => p.family)).size} families, each distinct and naming itself`, () => {
  assert.ok(PAYLOADS.length >= 500, `${PAYLOADS.length} payloads`);
  assert.equal(new Set(PAYLOADS.map((p) => p.text)).size, PAYLOADS.length);
  for (const p of PAYLOADS) assert.deepEqual([...new Set(payloadIdsIn(p.text))], [p.id], p.text);
});

// The sweep passes only if the watcher works: payloads written into the page as HTML (what a
// rendering bug would do) are seen, named, and refused by the CSP; a script that runs and a dialog
// are seen too.
test('the watcher sees payloads that become markup, the CSP refusing them, scripts and dialogs', async () => {
  const context = await browser.newContext();
  const findings = await watchForInjections(context);
  const page = await context.newPage();
  await page.goto(server.url + '/');
  await page.getByLabel('API key').waitFor();
  await injectionFindings(page, findings);
  assert.deepEqual(findings, [], 'the sign-in page itself is clean');
  await page.evaluate((texts) => {
    for (const text of texts) document.body.appendChild(document.createElement('div')).innerHTML = text;
  }, PAYLOADS.map((p) => p.text));
  await page.evaluate(() => { window.__xss = 0; alert('dialog'); });
  await page.waitForFunction(() => window.__injections.some((f) => f.kind === 'csp violation'));
  await injectionFindings(page, findings);
  const named = new Set(findings.flatMap((f) => payloadIdsIn(f.detail)));
  // Every tag with a handler (<body> is dropped in a <div>) and every SVG or MathML payload.
  const markup = PAYLOADS.filter((p) => (p.family === 'handler' && !p.text.startsWith('<body')) || p.family === 'svg/mathml');
  assert.deepEqual(markup.filter((p) => !named.has(p.id)).map((p) => describe(p.id)), []);
  const kinds = new Set(findings.map((f) => f.kind));
  for (const kind of ['injected element', 'injected attribute', 'injected URL', 'csp violation', 'script ran', 'dialog']) {
    assert.ok(kinds.has(kind), `${kind} in ${[...kinds].join(', ')}`);
  }
  await context.close();
});

test('the trace list, every page of it and filtered by payloads, shows them as text', async () => {
  const { context, page, findings } = await openWatched('/traces');
  await page.evaluate(() => window.__sweep.loadAll('.traces-table tbody tr'));
  const column = (n) => page.evaluate((i) => [...document.querySelectorAll(`.traces-table tbody td:nth-child(${i})`)]
    .map((td) => td.innerText).join('\n'), n);
  assertShown(await column(1), ALL, 'trace names');
  assertShown(await column(7), ALL, 'users');
  assertShown(await column(8), ALL, 'sessions');
  assertShown(await column(9), ALL, 'tags');
  assertShown(await column(10), ALL, 'models');
  await assertClean(page, findings, 'trace list');

  // Every filter set to one carrier's payload finds exactly that trace; the filters show it.
  for (const p of [PAYLOADS[0], ...kHostileIds.slice(4), PAYLOADS.find((x) => x.family === 'escape'),
    PAYLOADS.find((x) => x.family === 'polyglot'), PAYLOADS.find((x) => x.family === 'template/markdown')]) {
    const filters = new URLSearchParams({ name: p.text, user_id: p.text, session_id: p.text, tag: p.text, model: p.text,
      environment: p.text, release: p.text, range: '24h' });
    await page.goto(`${server.url}/traces?${filters}`);
    await page.locator('.traces-table tbody tr').first().waitFor();
    await page.evaluate(() => window.__sweep.until(() => !document.querySelector('p.loading'), 'the list'));
    const rows = await page.locator('.traces-table .trace-link').allInnerTexts();
    assert.equal(rows.length, 1, `filtered by payload ${describe(p.id)}: ${rows.join(' | ')}`);
    assertShown(rows[0], [p.id], 'the trace found');
    assertShown(await page.locator('input[name="name"]').inputValue(), [p.id], 'the name filter');
  }
  // Search, and filters the API refuses (its error message repeats the payload).
  for (const p of PAYLOADS.filter((_, i) => i % 97 === 0)) {
    for (const query of [{ q: p.text }, { min_latency_ms: p.text, min_cost: p.text, status: p.text }]) {
      await page.goto(`${server.url}/traces?${new URLSearchParams(query)}`);
      await page.locator('.traces-table').waitFor();
      await page.evaluate(() => window.__sweep.until(() => !document.querySelector('p.loading'), 'the list'));
    }
  }
  await assertClean(page, findings, 'filtered trace lists');
  await context.close();
});

test('each trace view — every step, its detail with every JSON level open, flame graph and agent graph — runs nothing', async () => {
  const { context, page, findings } = await openWatched('/traces');
  for (const sweep of sweeps) {
    const seen = await sweepTraceView(page, sweep.traceId, sweep.steps);
    assertShown(seen.steps, sweep.ids, `steps and details of ${sweep.traceId}`);
    assertShown(seen.header, sweep.ids, `scores of ${sweep.traceId}`);
    assertShown(seen.flame, sweep.ids, `flame graph hover lines of ${sweep.traceId}`);
    assertShown(seen.graph, sweep.ids, `agent graph of ${sweep.traceId}`);
    await assertClean(page, findings, `trace view ${sweep.traceId}`);
  }
  await context.close();
});

test('the Langfuse and LangSmith traces, their scores and feedback, and traces whose ids are payloads', async () => {
  const { context, page, findings } = await openWatched('/traces');
  const langfuse = await sweepTraceView(page, LANGFUSE_TRACE, kLangfuseSlice.length + 4);
  assertShown(langfuse.header, ALL, 'scores of the Langfuse trace');
  assertShown(langfuse.header, [1, 2], 'user and session of the Langfuse trace');
  assertShown(langfuse.steps, kLangfuseSlice.map((p) => p.id), 'Langfuse steps');
  await assertClean(page, findings, 'Langfuse trace view');

  const langsmith = await sweepTraceView(page, LANGSMITH_TRACE, 2);
  assertShown(langsmith.header + langsmith.steps, kLangsmithSlice.map((p) => p.id), 'LangSmith runs and feedback');
  await assertClean(page, findings, 'LangSmith trace view');

  for (const p of kHostileIds) {
    await page.goto(`${server.url}/traces/${encodeURIComponent(p.text)}`);
    await page.getByRole('tree').waitFor();
    assertShown(await page.locator('.trace-header h1').innerText(), [p.id], 'a trace whose id is a payload');
    await page.evaluate(() => window.__sweep.openAll(document.querySelector('aside.detail-panel')));
  }
  // Ids that exist nowhere: the server's error, shown as text.
  for (const p of PAYLOADS.filter((_, i) => i % 120 === 11)) {
    await page.goto(`${server.url}/traces/${encodeURIComponent(`missing ${p.text}`)}`);
    await page.locator('[role="alert"]').first().waitFor();
    await page.goto(`${server.url}/sessions/${encodeURIComponent(`missing ${p.text}`)}`);
    await page.locator('[role="alert"]').first().waitFor();
  }
  await assertClean(page, findings, 'traces with payloads as ids');
  await context.close();
});

test('sessions, a session of payload turns and a session named by a payload', async () => {
  const { context, page, findings } = await openWatched('/sessions');
  await page.evaluate(() => window.__sweep.loadAll('.sessions-table tbody tr'));
  const sessions = await page.locator('.sessions-table tbody').innerText();
  assertShown(sessions, ALL, 'session ids and users');
  await assertClean(page, findings, 'sessions list');

  await page.goto(`${server.url}/sessions/${encodeURIComponent(SESSION)}`);
  await page.locator('.turn').nth(5).waitFor();
  await page.evaluate(() => window.__sweep.openAll(document.querySelector('ol.turns')));
  assertShown(await page.locator('main').innerText(), ALL, 'session turns');
  for (const p of [PAYLOADS[0], PAYLOADS[300], PAYLOADS.at(-1)]) {
    await page.goto(`${server.url}/sessions/${encodeURIComponent(p.text)}`);
    await page.locator('.turn').first().waitFor();
    assertShown(await page.locator('main').innerText(), [p.id], `session ${describe(p.id)}`);
    // Its trace, from the session: the header's session link and user.
    await page.locator('.turn-head a').first().click();
    await page.getByRole('tree').waitFor();
    assertShown(await page.locator('.trace-header').innerText(), [p.id], `trace header of ${describe(p.id)}`);
  }
  await assertClean(page, findings, 'session pages');
  await context.close();
});

test('the dashboard: legends, what-if models and filters', async () => {
  const { context, page, findings } = await openWatched(
    '/dashboard?cost_by=model&tokens_by=user&traces_by=name&latency_by=prompt&errors_by=environment');
  for (const name of ['Cost', 'Tokens', 'Latency', 'Traces', 'Errors']) {
    await page.getByRole('region', { name, exact: true }).locator('canvas, .empty, [role="alert"]').first().waitFor();
  }
  const legends = (name) => page.getByRole('region', { name, exact: true }).locator('.u-legend').innerText();
  assertShown(await legends('Cost'), ALL, 'cost by model');
  assertShown(await legends('Tokens'), ALL, 'tokens by user');
  assertShown(await legends('Traces'), ALL, 'traces by trace name');
  assertShown(await legends('Latency'), ALL, 'latency by prompt');
  const models = (await page.getByLabel('What-if model').locator('option').allInnerTexts()).join('\n');
  assertShown(models, ALL, 'what-if models');
  await assertClean(page, findings, 'dashboard');

  for (const p of PAYLOADS.filter((_, i) => i % 101 === 0)) {
    const filters = new URLSearchParams({ environment: p.text, release: p.text, what_if_model: p.text, what_if_as: p.text });
    await page.goto(`${server.url}/dashboard?${filters}`);
    await page.locator('.dashboard-tiles, .empty, [role="alert"]').first().waitFor();
    assertShown(await page.getByLabel('Release').inputValue(), [p.id], 'the release filter');
  }
  await assertClean(page, findings, 'dashboard with payload filters');
  await context.close();
});

test('settings: key names, price entries, and a key made, a price and a member refused in the page', async () => {
  const { context, page, findings } = await openWatched('/settings');
  await page.locator('.keys-table tbody tr').nth(PAYLOADS.length).waitFor();
  assertShown(await page.locator('.keys-table').innerText(), ALL, 'key names');
  await page.locator('.prices-table').waitFor();
  assertShown(await page.locator('.prices-table').innerText(), kPriced.map((p) => p.id), 'price entries');

  const p = PAYLOADS.find((x) => x.family === 'polyglot');
  await page.getByLabel('Key name').fill(p.text);
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.locator('.secret-once').waitFor();
  assertShown(await page.locator('.secret-once').innerText(), [p.id], 'the new key\'s name');
  await page.getByLabel('Price entry JSON').fill(JSON.stringify({ provider: p.text, model: p.text, match: '(' + p.text, prices: {} }));
  await page.getByRole('button', { name: 'Add or replace price' }).click();
  await page.locator('.settings-section [role="alert"], .settings-section .error, .settings-section .bad').first().waitFor();
  await page.getByLabel('Member user name').fill(p.text);
  await page.getByRole('button', { name: 'Add or change' }).click();
  await page.locator('.settings-section [role="alert"], .settings-section .error, .settings-section .bad').nth(1).waitFor();
  await assertClean(page, findings, 'settings');
  await context.close();
});

test('the audit log: payload key names, session and trace views, and payload filters', async () => {
  const { context, page, findings } = await openWatched('/audit');
  await page.evaluate(() => window.__sweep.loadAll('.audit-table tbody tr'));
  const log = await page.locator('.audit-table').innerText();
  assertShown(log, ALL, 'audit events');
  assertShown(log, kHostileIds.map((p) => p.id), 'trace views');
  await assertClean(page, findings, 'audit log');
  for (const p of PAYLOADS.filter((_, i) => i % 73 === 0)) {
    await page.goto(`${server.url}/audit?${new URLSearchParams({ action: 'key.create', actor: p.text, target: p.text })}`);
    await page.locator('.audit-table').waitFor();
    assertShown(await page.getByLabel('Audit target').inputValue(), [p.id], 'the target filter');
  }
  await assertClean(page, findings, 'filtered audit log');
  await context.close();
});

// Last: it fails authentication a few times. (A login link's token is only ever letters and
// digits; the UI ignores anything else after #login=.)
test('the sign-in page with payloads as login link, user, password and API key', async () => {
  const context = await browser.newContext();
  const findings = await watchForInjections(context);
  // Few: each is a failed authentication, and the server allows an address only 20 in a row.
  for (const p of PAYLOADS.filter((_, i) => i % 200 === 9)) {
    const page = await context.newPage(); // a new document each time (a new #fragment is not one)
    await page.goto(`${server.url}/#login=${encodeURIComponent(p.text)}`);
    await page.getByLabel('User').fill(p.text);
    await page.getByLabel('Password').fill(p.text);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.key-prompt .error').waitFor();
    await page.getByLabel('API key').fill(p.text);
    await page.getByLabel('API key').press('Enter');
    await page.getByText('That key was not accepted.').waitFor();
    await assertClean(page, findings, 'sign-in page');
    await page.close();
  }
  await context.close();
});
