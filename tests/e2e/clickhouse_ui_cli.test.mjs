// The query API, the CLI and the web UI on the ClickHouse backend (docs/scale-out.md), end to end:
// Debian's clickhouse-server on loopback, one trackly node with `--store clickhouse`, and beside it
// a reference node on the embedded store that gets the very same requests. `trackly demo` sends
// its sample agent runs (src/cli/demo_runs.h) through a relay that records them and hands each
// request to both nodes. The tests compare what the ClickHouse node answers with what was sent
// (trace and span ids, names, times, sessions, users, tags, errors), and what the server derives
// (costs, metrics, evaluations, the CLI's tables, the dashboard's tiles) with the reference's
// answer to the same question.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { launchBrowser, openSignedIn } from './browser.mjs';
import { clickhouseInstalled, startClickHouse, waitForSpoolShipped } from './clickhouse.mjs';
import { BINARY, cli, createKey, getJson, removeDir, startServer, tempDataDir, waitFor } from './harness.mjs';

const execFileAsync = promisify(execFile);
const skip = clickhouseInstalled() ? false : 'clickhouse-server is not installed (scripts/install-deps.sh installs it)';
// Short, so the runs are evaluated (stop reason, findings, workflow rollups) within the test, but
// longer than the spool's ship lag (a segment is sealed after 1 s): the evaluation reads what the
// node has shipped, and a ship lag longer than the delay is an open limitation
// (docs/scale-out.md "Not yet").
const FINISH_DELAY_MS = '3000';

let dir;
let clickhouse;
let relay;
let browser;
// The node under test and the reference: {name, server, dataDir, key, env (for the CLI)}.
const ch = { name: 'the ClickHouse node' };
const ref = { name: 'the reference' };
// What was sent, from the requests the relay recorded: trace id → SentTrace (recordSent).
const sent = new Map();
const posted = [];  // the scores posted through the API

before(async () => {
  if (skip) return;
  dir = tempDataDir();
  ch.dataDir = join(dir, 'clickhouse-node');
  ref.dataDir = join(dir, 'reference-node');
  ch.key = createKey(ch.dataDir).key;
  ref.key = createKey(ref.dataDir).key;
  clickhouse = await startClickHouse(join(dir, 'clickhouse'));
  // The node's store settings as its operator sets them (docs/configuration.md), in the
  // environment of the CLI commands too.
  ch.env = { TRACKLY_STORE: 'clickhouse', TRACKLY_CLICKHOUSE_URL: clickhouse.url, TRACKLY_CLICKHOUSE_DATABASE: 'e2e_ui' };
  ref.env = {};
  ch.server = await startServer(ch.dataDir, ['--store', 'clickhouse', '--clickhouse-url', clickhouse.url,
    '--clickhouse-database', 'e2e_ui', '--spool-dir', join(dir, 'spool'), '--node-id', 'ui-node',
    '--trace-finish-delay-ms', FINISH_DELAY_MS]);
  ref.server = await startServer(ref.dataDir, ['--trace-finish-delay-ms', FINISH_DELAY_MS]);
  relay = await startRelay();
  // Two demos: 12 traces, 2 sessions, 2 failed runs; each trace has fresh ids. Run without
  // blocking this process, which is the relay.
  for (let i = 0; i < 2; ++i) await execFileAsync(BINARY, ['demo', '--endpoint', relay.url, '--key', ch.key, '--format', 'json']);
  assert.ok(sent.size > 0, 'the relay saw the demo');
  // User feedback on two research runs, the same on both nodes.
  const [good, bad] = tracesNamed('research_assistant');
  for (const [trace, value] of [[good, true], [bad, false]]) {
    posted.push({ id: `helpful-${trace.id}`, trace_id: trace.id, name: 'helpful', value, comment: 'from the e2e test',
      time: new Date(Date.now() - 1000).toISOString() });
  }
  for (const node of [ch, ref]) {
    for (const score of posted) {
      const res = await fetch(`${node.server.url}/api/v1/scores`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${node.key}` },
        body: JSON.stringify(score),
      });
      assert.equal(res.status, 201, await res.text());
    }
  }
  await waitForSpoolShipped(ch.server, ch.key);
});

after(async () => {
  await browser?.close();
  relay?.server.close();
  for (const node of [ch, ref]) await node.server?.stop();
  await clickhouse?.stop();
  if (dir) removeDir(dir);
});

// An OTLP/HTTP endpoint in front of both nodes: each request is recorded (recordSent) and sent to
// both, each with its own key; the client gets the ClickHouse node's answer.
async function startRelay() {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const forward = async (node) => {
      const answer = await fetch(node.server.url + req.url, {
        method: 'POST', body,
        headers: { 'content-type': req.headers['content-type'], authorization: `Bearer ${node.key}` },
      });
      return { status: answer.status, type: answer.headers.get('content-type'), body: Buffer.from(await answer.arrayBuffer()) };
    };
    const [main, reference] = await Promise.all([forward(ch), forward(ref)]);
    if (main.status === 200 && reference.status === 200) recordSent(JSON.parse(body.toString('utf8')));
    const answer = reference.status === 200 ? main : reference;
    res.writeHead(answer.status, { 'content-type': answer.type ?? 'text/plain' });
    res.end(answer.body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

function attributeValue(v) {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(attributeValue);
  return null;
}
const attributes = (list = []) => Object.fromEntries(list.map((a) => [a.key, attributeValue(a.value)]));

// Adds the spans of an OTLP/JSON request to `sent`. A SentTrace: {id, name (its root span's),
// startNs, endNs, latencyMs, spans: [{id, parent, name, startNs, endNs, error, message}], session,
// user, tags, error (a span failed), responseModels, environment, release}.
function recordSent(request) {
  for (const resourceSpans of request.resourceSpans) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        const attrs = attributes(span.attributes);
        if (!sent.has(span.traceId)) {
          sent.set(span.traceId, { id: span.traceId, spans: [], tags: [], responseModels: new Set(), error: false,
            session: null, user: null, environment: resource['deployment.environment.name'], release: resource['service.version'] });
        }
        const trace = sent.get(span.traceId);
        const s = { id: span.spanId, parent: span.parentSpanId || null, name: span.name, startNs: BigInt(span.startTimeUnixNano),
          endNs: BigInt(span.endTimeUnixNano), error: span.status?.code === 2, message: span.status?.message ?? null };
        trace.spans.push(s);
        trace.error ||= s.error;
        if (!s.parent) {
          trace.name = span.name;
          trace.tags = attrs['tag.tags'] ?? [];
        }
        trace.session ??= attrs['session.id'] ?? null;
        trace.user ??= attrs['user.id'] ?? null;
        if (attrs['gen_ai.response.model']) trace.responseModels.add(attrs['gen_ai.response.model']);
        trace.startNs = trace.spans.reduce((m, x) => (x.startNs < m ? x.startNs : m), s.startNs);
        trace.endNs = trace.spans.reduce((m, x) => (x.endNs > m ? x.endNs : m), s.endNs);
        trace.latencyMs = Number(trace.endNs - trace.startNs) / 1e6;
      }
    }
  }
}

const sentTraces = () => [...sent.values()];
const tracesNamed = (name) => sentTraces().filter((t) => t.name === name).sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
const idsOf = (traces) => traces.map((t) => t.id).sort();
// The sessions sent: id → {user, traces (in start order)}.
function sentSessions() {
  const sessions = new Map();
  for (const trace of sentTraces().filter((t) => t.session).sort((a, b) => (a.startNs < b.startNs ? -1 : 1))) {
    if (!sessions.has(trace.session)) sessions.set(trace.session, { user: trace.user, traces: [] });
    sessions.get(trace.session).traces.push(trace);
  }
  return sessions;
}

// A time in ns as the API writes it: RFC 3339, UTC, microseconds.
function rfc3339(ns) {
  const seconds = ns / 1_000_000_000n;
  const micros = (ns % 1_000_000_000n) / 1000n;
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

async function api(node, path) {
  const { status, json, body } = await getJson(node.server, path, node.key);
  assert.equal(status, 200, `${path} on ${node.name}: ${body}`);
  return json;
}

// Every page of a list (`path`, with its filters in the query string if any) of `limit` items,
// following next_cursor: the items in order. A page is never longer than the limit and no item
// comes twice.
async function walk(node, path, limit) {
  const items = [];
  let cursor = null;
  const first = `${path}${path.includes('?') ? '&' : '?'}limit=${limit}`;
  for (let pages = 0; ; ++pages) {
    assert.ok(pages < 200, `${path}: the cursor never ends`);
    const page = await api(node, `${first}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.ok(page.data.length <= limit, `${path}: a page of ${page.data.length}`);
    items.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  const ids = items.map((i) => i.id);
  assert.equal(new Set(ids).size, ids.length, `${path}: an item listed twice: ${ids}`);
  return items;
}

// `value` with every non-integer number at 9 significant digits: two stores may add the same costs
// in different orders.
function canonical(value) {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toPrecision(9));
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  return value;
}

// Where `a` and `b` differ, as "path: a ≠ b" lines (at most 20); [] when they are equal.
function differences(a, b, path = '', found = []) {
  if (found.length >= 20) return found;
  const isObject = (x) => x !== null && typeof x === 'object';
  if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) differences(a[k], b[k], `${path}.${k}`, found);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    found.push(`${path || '.'}: ${JSON.stringify(a)?.slice(0, 200)} ≠ ${JSON.stringify(b)?.slice(0, 200)}`);
  }
  return found;
}

// Asserts that the ClickHouse node's `answer` is the reference's, at the precision of canonical().
function assertSameAsReference(answer, reference, what) {
  const found = differences(canonical(answer), canonical(reference));
  assert.deepEqual(found, [], `${what}: ClickHouse (left) and the embedded store (right) differ`);
}

// The same question to both nodes; asserts they answer the same and returns the answer.
async function sameAnswer(path, what = path) {
  const [fromClickHouse, fromReference] = await Promise.all([api(ch, path), api(ref, path)]);
  assertSameAsReference(fromClickHouse, fromReference, what);
  return fromClickHouse;
}

// A CLI command against a node's data directory, with the node's store settings in its environment.
const cliOn = (node, args) => cli([...args, '--data', node.dataDir], node.env);

test('the trace list answers each filter with the traces sent that match, page by page', { skip }, async () => {
  const all = sentTraces();
  const [session, { user }] = [...sentSessions()][0];
  const byStart = [...all].sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
  const from = byStart[3].startNs;
  const to = byStart[byStart.length - 3].startNs;
  const latencies = all.map((t) => t.latencyMs).sort((a, b) => a - b);
  const minLatency = (latencies[5] + latencies[6]) / 2;
  const cases = [
    ['every trace', {}, () => true],
    ['name', { name: 'research_assistant' }, (t) => t.name === 'research_assistant'],
    ['user', { user_id: user }, (t) => t.user === user],
    ['session', { session_id: session }, (t) => t.session === session],
    ['status', { status: 'error' }, (t) => t.error],
    ['status ok', { status: 'ok' }, (t) => !t.error],
    ['tag', { tag: 'research' }, (t) => t.tags.includes('research')],
    ['model', { model: 'claude-3-5-sonnet-20241022' }, (t) => t.responseModels.has('claude-3-5-sonnet-20241022')],
    ['environment', { environment: 'production' }, (t) => t.environment === 'production'],
    ['release', { release: '1.4.2' }, (t) => t.release === '1.4.2'],
    ['min latency', { min_latency_ms: String(minLatency) }, (t) => t.latencyMs >= minLatency],
    ['time range', { from: String(from), to: String(to) }, (t) => t.startNs >= from && t.startNs < to],
    ['name and time range', { name: 'invoke_agent support_bot', from: String(from) },
      (t) => t.name === 'invoke_agent support_bot' && t.startNs >= from],
    ['user score', { score: 'helpful', score_min: '1' }, (t) => posted.some((s) => s.trace_id === t.id && s.value === true)],
  ];
  for (const [what, params, matches] of cases) {
    const query = new URLSearchParams(params).toString();
    const path = query ? `/api/v1/traces?${query}` : '/api/v1/traces';
    const listed = await walk(ch, path, 4);
    const expected = idsOf(all.filter(matches));
    assert.ok(expected.length > 0, `${what}: the case selects something`);
    assert.deepEqual(listed.map((t) => t.id).sort(), expected, what);
    const inReference = await walk(ref, path, 4);
    assert.deepEqual(listed.map((t) => t.id), inReference.map((t) => t.id), `${what}: in the reference's order`);
  }
  // A filter on what the server derives (cost) selects what it selects on the embedded store.
  const costs = (await walk(ref, '/api/v1/traces', 100)).map((t) => t.cost.total).sort((a, b) => a - b);
  const minCost = (costs[5] + costs[6]) / 2;
  const path = `/api/v1/traces?min_cost=${minCost}`;
  assert.deepEqual((await walk(ch, path, 4)).map((t) => t.id), (await walk(ref, path, 4)).map((t) => t.id), 'min_cost');
  // Full-text search: a word of the research runs' question, in another case, finds what the
  // embedded store's index finds.
  const text = '/api/v1/traces?q=HALLUCINATIONS';
  const found = (await walk(ch, text, 4)).map((t) => t.id);
  assert.ok(found.length > 0, 'q finds the research runs');
  assert.deepEqual(found, (await walk(ref, text, 4)).map((t) => t.id), 'q');
});

test('cursor pagination walks every trace once, in every sort order, as the reference orders them', { skip }, async () => {
  const key = { start_time: (t) => t.start_time, latency: (t) => t.latency_ms, cost: (t) => t.cost.total,
    tokens: (t) => t.usage.total_tokens };
  for (const sort of Object.keys(key)) {
    for (const order of ['desc', 'asc']) {
      for (const limit of [1, 5]) {
        const path = `/api/v1/traces?sort=${sort}&order=${order}`;
        const listed = await walk(ch, path, limit);
        assert.deepEqual(listed.map((t) => t.id).sort(), idsOf(sentTraces()), `${path} limit ${limit}: every trace once`);
        for (let i = 1; i < listed.length; ++i) {
          const [a, b] = [key[sort](listed[i - 1]), key[sort](listed[i])];
          assert.ok(order === 'desc' ? a >= b : a <= b, `${path}: ${a} then ${b}`);
        }
        assert.deepEqual(listed.map((t) => t.id), (await walk(ref, path, limit)).map((t) => t.id), `${path} limit ${limit}`);
      }
    }
  }
});

test('a trace\'s detail has every span sent, with its parent, times and error; its totals, insight, diff and export are the reference\'s', { skip }, async () => {
  for (const trace of sentTraces()) {
    const detail = await api(ch, `/api/v1/traces/${trace.id}`);
    assert.equal(detail.trace.id, trace.id);
    assert.equal(detail.trace.name, trace.name);
    assert.equal(detail.trace.start_time, rfc3339(trace.startNs));
    assert.equal(detail.trace.end_time, rfc3339(trace.endNs));
    assert.equal(detail.trace.session_id, trace.session);
    assert.equal(detail.trace.user_id, trace.user);
    assert.deepEqual(detail.trace.tags, trace.tags);
    assert.equal(detail.trace.status, trace.error ? 'error' : 'ok');
    assert.equal(detail.observations.length, trace.spans.length, `spans of ${trace.name}`);
    const stored = new Map(detail.observations.map((o) => [o.id, o]));
    for (const span of trace.spans) {
      const o = stored.get(span.id);
      assert.ok(o, `span ${span.name} of ${trace.name}`);
      assert.equal(o.parent_id, span.parent, `parent of ${span.name}`);
      assert.equal(o.start_time, rfc3339(span.startNs), `start of ${span.name}`);
      assert.equal(o.end_time, rfc3339(span.endNs), `end of ${span.name}`);
      assert.equal(o.status === 'error', span.error, `status of ${span.name}`);
      if (span.error) assert.equal(o.status_message, span.message);
    }
    const savings = detail.observations.reduce((sum, o) => sum + (o.cost.cache_savings ?? 0), 0);
    assert.ok(Math.abs((detail.trace.cost.cache_savings ?? 0) - savings) < 1e-9, `cache savings of ${trace.name}`);
    // Everything the server derived (types, usage, costs, subtree totals) as on the embedded store.
    const reference = await api(ref, `/api/v1/traces/${trace.id}`);
    const withoutScores = ({ scores: _, ...rest }) => rest;  // evaluated at different moments
    assertSameAsReference(withoutScores(detail), withoutScores(reference), `detail of ${trace.name}`);
    // The same observations a page at a time (how the UI reads a trace).
    const paged = await walk(ch, `/api/v1/traces/${trace.id}/observations?fields=summary`, 7);
    assert.deepEqual(paged.map((o) => o.id), detail.observations.map((o) => o.id), `pages of ${trace.name}`);
    await sameAnswer(`/api/v1/traces/${trace.id}/insight`);
  }
  // One run against another and against the typical earlier run of its name.
  const [first, second] = tracesNamed('research_assistant');
  const diff = await sameAnswer(`/api/v1/traces/${second.id}/diff?against=${first.id}`);
  assert.equal(diff.counts.added + diff.counts.removed, 0, 'the same steps');
  await sameAnswer(`/api/v1/traces/${second.id}/diff?against=typical`);
  // Export: every trace once, whole, page by page (the cursor in a header), as the reference has it.
  const exported = await exportAll(ch);
  assert.deepEqual([...exported.keys()].sort(), idsOf(sentTraces()));
  for (const [id, line] of exported) assert.equal(line.observations.length, sent.get(id).spans.length);
  assertSameAsReference(Object.fromEntries(exported), Object.fromEntries(await exportAll(ref)), 'the export');
});

// GET /api/v1/export?format=jsonl, every page of 5 traces: trace id → its line.
async function exportAll(node) {
  const lines = new Map();
  let cursor = null;
  do {
    const res = await fetch(`${node.server.url}/api/v1/export?format=jsonl&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { headers: { authorization: `Bearer ${node.key}` } });
    const body = await res.text();
    assert.equal(res.status, 200, body);
    for (const line of body.split('\n').filter(Boolean)) {
      const parsed = JSON.parse(line);
      assert.equal(lines.has(parsed.trace.id), false, `${parsed.trace.id} exported twice`);
      lines.set(parsed.trace.id, parsed);
    }
    cursor = res.headers.get('x-trackly-next-cursor');
  } while (cursor);
  return lines;
}

test('sessions: the list and each session\'s traces in start order, as sent', { skip }, async () => {
  const sessions = sentSessions();
  const listed = await walk(ch, '/api/v1/sessions', 1);
  assert.deepEqual(listed.map((s) => s.id).sort(), [...sessions.keys()].sort());
  for (const s of listed) {
    const expected = sessions.get(s.id);
    assert.equal(s.trace_count, expected.traces.length);
    assert.equal(s.user_id, expected.user);
    assert.equal(s.first_time, rfc3339(expected.traces[0].startNs));
    const detail = await sameAnswer(`/api/v1/sessions/${encodeURIComponent(s.id)}`);
    assert.deepEqual(detail.traces.map((t) => t.id), expected.traces.map((t) => t.id));
    const ofUser = await api(ch, `/api/v1/sessions?user_id=${encodeURIComponent(expected.user)}`);
    assert.deepEqual(ofUser.data.map((x) => x.id), [s.id]);
  }
  assertSameAsReference(listed, await walk(ref, '/api/v1/sessions', 1), 'the sessions');
});

test('metrics answer with the runs sent, and every dashboard question as the reference does', { skip }, async () => {
  const byName = await api(ch, '/api/v1/metrics?measures=count,error_rate&group_by=name&level=trace');
  const names = new Set(sentTraces().map((t) => t.name));
  assert.equal(byName.data.length, names.size);
  for (const row of byName.data) {
    const runs = sentTraces().filter((t) => t.name === row.name);
    assert.equal(row.count, runs.length, row.name);
    assert.equal(row.error_rate, runs.filter((t) => t.error).length / runs.length, row.name);
  }
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  for (const query of [
    'measures=count,cost,total_tokens,error_rate,p95_latency&level=trace',
    'measures=cost,input_tokens,output_tokens,cached_tokens,cache_savings&group_by=model,hour',
    'measures=count,p50_latency,p95_latency&group_by=type',
    'measures=model_calls_per_run,tool_calls_per_run,cost_per_run&group_by=name',
    'measures=count,cost,total_tokens,model_calls,tool_calls,error_rate&group_by=user_id',
    'measures=count&group_by=session_id',
    'measures=success_rate,count&group_by=tool',
    `measures=count,error_rate&group_by=status,minute&level=trace&from=${hourAgo}`,
  ]) await sameAnswer(`/api/v1/metrics?${query}`);
  const range = `from=${encodeURIComponent(hourAgo)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
  await sameAnswer(`/api/v1/metrics/what-if?model=gpt-4o-2024-08-06&as=gpt-4o-mini&${range}`);
});

test('scores posted through the API are listed, filter the trace list and are aggregated', { skip }, async () => {
  const listed = await api(ch, '/api/v1/scores?name=helpful');
  assert.deepEqual(listed.data.map((s) => [s.id, s.trace_id, s.value]).sort(),
    posted.map((s) => [s.id, s.trace_id, s.value]).sort());
  const [good] = posted;
  const ofTrace = await api(ch, `/api/v1/scores?trace_id=${good.trace_id}&name=helpful`);
  assert.deepEqual(ofTrace.data.map((s) => s.comment), [good.comment]);
  const aggregate = await api(ch, '/api/v1/metrics/scores?name=helpful&measures=count,true_rate,traces');
  assert.deepEqual(aggregate.data, [{ count: 2, true_rate: 0.5, traces: 2 }]);
  const detail = await api(ch, `/api/v1/traces/${good.trace_id}`);
  assert.ok(detail.scores.some((s) => s.id === good.id && s.value === true), JSON.stringify(detail.scores));
});

// The stop reasons stored on `node`: trace id → value.
async function stopReasons(node) {
  const scores = await walk(node, '/api/v1/scores?name=trackly.stop_reason', 100);
  return new Map(scores.map((s) => [s.trace_id, s.value]));
}

test('every run is evaluated once finished: a stop reason per trace and the workflow rollups, as the reference has them', { skip }, async () => {
  await waitFor('the reference to evaluate every run', async () => {
    const reasons = await stopReasons(ref);
    return reasons.size === sent.size || `${reasons.size} of ${sent.size} traces have a stop reason`;
  }, 60_000);
  // The evaluation's scores reach ClickHouse through the spool, like everything else.
  await waitFor('the ClickHouse node to evaluate every run', async () => {
    const reasons = await stopReasons(ch);
    return reasons.size === sent.size || `${reasons.size} of ${sent.size} traces have a stop reason`;
  }, 30_000);
  assert.deepEqual(await stopReasons(ch), await stopReasons(ref));
  await sameAnswer('/api/v1/metrics/scores?name_prefix=trackly.&group_by=name,value&measures=count,traces');
  for (const name of new Set(sentTraces().map((t) => t.name))) {
    const graph = await sameAnswer(`/api/v1/workflow?name=${encodeURIComponent(name)}`);
    assert.equal(graph.source, 'rollups');
    assert.equal(graph.totals.runs, tracesNamed(name).length, name);
  }
});

// The node waits for its spool to ship the runs before it evaluates them (server/trace_finisher.h).
test('a node stopped right after runs arrived has evaluated them when it starts again', { skip }, async () => {
  // A node of its own (database, spool, catalog) with the default finish delay, stopped gracefully
  // while the runs wait for it: docs/insight.md, "A server that is stopped (SIGTERM, Ctrl-C)
  // evaluates them all before it exits".
  const dataDir = join(dir, 'stopping-node');
  const { key } = createKey(dataDir);
  const args = ['--store', 'clickhouse', '--clickhouse-url', clickhouse.url, '--clickhouse-database', 'e2e_ui_stop',
    '--spool-dir', join(dir, 'spool-stop'), '--node-id', 'stopping-node'];
  const node = { name: 'the stopping node', dataDir, key, server: await startServer(dataDir, args) };
  const demo = JSON.parse((await execFileAsync(BINARY, ['demo', '--endpoint', node.server.url, '--key', key, '--json'])).stdout);
  assert.equal((await node.server.stop()).code, 0);
  node.server = await startServer(dataDir, args);
  try {
    await waitForSpoolShipped(node.server, key);
    assert.equal((await walk(node, '/api/v1/traces', 100)).length, demo.traces, 'every run is stored');
    await waitFor('the runs\' stop reasons', async () => {
      const reasons = await stopReasons(node);
      return reasons.size === demo.traces || `${reasons.size} of the ${demo.traces} runs have a stop reason`;
    }, 15_000);
  } finally {
    await node.server.stop();
  }
});

test('the workflow graph read from the runs themselves is the reference\'s', { skip }, async () => {
  for (const name of new Set(sentTraces().map((t) => t.name))) {
    const graph = await sameAnswer(`/api/v1/workflow?name=${encodeURIComponent(name)}&limit=50`);
    assert.equal(graph.source, 'runs');
    assert.equal(graph.totals.runs, tracesNamed(name).length, name);
    assert.ok(graph.nodes.length > 1, name);
  }
  const [first, second] = tracesNamed('research_assistant');
  const between = rfc3339((first.startNs + second.startNs) / 2n);
  await sameAnswer(`/api/v1/workflow/diff?name=research_assistant&limit=50&before_to=${between}&after_from=${between}`);
});

test('trackly traces lists the traces stored in ClickHouse, filtered, as a table and as JSON', { skip }, () => {
  const all = JSON.parse(cliOn(ch, ['traces', '--limit', '100', '--json']));
  assert.deepEqual(all.data.map((t) => t.id).sort(), idsOf(sentTraces()),
    'every trace sent, read from the data directory of a node with --store clickhouse');
  for (const args of [['traces', '--name', 'research_assistant', '--json'], ['traces', '--status', 'error'],
    ['traces', '--tag', 'research'], ['traces', '--session', sentTraces().find((t) => t.session).session],
    ['traces', '--since', '1h', '--limit', '5']]) {
    assert.equal(cliOn(ch, args), cliOn(ref, args), args.join(' '));
  }
  const failed = cliOn(ch, ['traces', '--status', 'error']);
  for (const trace of sentTraces().filter((t) => t.error)) assert.match(failed, new RegExp(`^✗ +${trace.id} +${trace.name}`, 'm'));
});

test('trackly trace ID shows a ClickHouse trace as a tree with its error, tokens and cost', { skip }, () => {
  const [research] = tracesNamed('research_assistant');
  const tree = cliOn(ch, ['trace', research.id]);
  assert.match(tree, /^ +OBSERVATION +DURATION +TOKENS +COST +SUBTREE COST +STATUS$/m);
  for (const span of research.spans) assert.match(tree, new RegExp(` ${span.name} +\\d`), span.name);
  assert.match(tree, /generation chat gpt-4o +\S+ +[\d,]+ +\$[\d.]+/);
  assert.equal(tree, cliOn(ref, ['trace', research.id]));
  const [failedRun] = sentTraces().filter((t) => t.error);
  const failed = cliOn(ch, ['trace', failedRun.id]);
  const failedSpan = failedRun.spans.find((s) => s.error);
  assert.match(failed, new RegExp(`^✗ .* error .*${failedSpan.message.replace(/[.()]/g, '\\$&')}`, 'm'));
  assert.equal(failed, cliOn(ref, ['trace', failedRun.id]));
  const json = JSON.parse(cliOn(ch, ['trace', failedRun.id, '--json']));
  assert.equal(json.observations.length, failedRun.spans.length);
  assert.equal(json.insight.profile.errors, 1);
});

test('trackly diff, workflow and export read the traces stored in ClickHouse', { skip }, () => {
  const [first, second] = tracesNamed('research_assistant');
  assert.equal(cliOn(ch, ['diff', first.id, second.id]), cliOn(ref, ['diff', first.id, second.id]));
  const workflow = ['workflow', '--name', 'research_assistant', '--limit', '10'];
  assert.match(cliOn(ch, workflow), /^research_assistant: 2 runs; per run 8\.0 spans/m);
  assert.equal(cliOn(ch, workflow), cliOn(ref, workflow));
  const lines = cliOn(ch, ['export', '--format', 'jsonl']).trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((e) => e.trace.id).sort(), idsOf(sentTraces()));
});

test('trackly erase and cost recompute refuse on ClickHouse, naming the API to use, and change nothing', { skip }, async () => {
  const trace = sentTraces()[0];
  const commands = [
    [['erase', '--project', 'default', '--trace', trace.id], 'POST /api/v1/erase'],
    [['cost', 'recompute', '--project', 'default'], 'POST /api/v1/cost/recompute'],
  ];
  for (const [args, endpoint] of commands) {
    assert.throws(() => cliOn(ch, args), (e) => e.status !== 0 && String(e.stderr).includes(endpoint), args.join(' '));
  }
  assert.equal((await api(ch, `/api/v1/traces/${trace.id}`)).trace.id, trace.id);
});

// The dashboard's tiles, label → shown value, once the Traces tile shows `traces`.
async function dashboardTiles(page, traces) {
  await page.locator('.dashboard-tiles .total').filter({ hasText: 'Traces' }).locator('.total-value')
    .filter({ hasText: new RegExp(`^${traces}$`) }).waitFor();
  const tiles = {};
  for (const tile of await page.locator('.dashboard-tiles .total').all()) {
    tiles[await tile.locator('.total-label').textContent()] = await tile.locator('.total-value').textContent();
  }
  return tiles;
}

test('the UI on ClickHouse shows the traces, a run as a tree, a failed run, the sessions and the dashboard', { skip }, async () => {
  browser = await launchBrowser();
  const { context, page, problems } = await openSignedIn(browser, ch.server, ch.dataDir, { env: ch.env });
  // The traces list: every trace sent, the failed ones marked.
  const links = page.locator('.traces-table .trace-link');
  await page.waitForFunction((n) => document.querySelectorAll('.traces-table .trace-link').length === n, sent.size);
  const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs.map((h) => h.replace('/traces/', '')).sort(), idsOf(sentTraces()));
  const failedRows = await page.locator('.traces-table tr.row-error .trace-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(failedRows.map((h) => h.replace('/traces/', '')).sort(), idsOf(sentTraces().filter((t) => t.error)));

  // A run as a tree: one row per span, with the step names sent.
  const [research] = tracesNamed('research_assistant');
  await page.locator(`.traces-table a[href="/traces/${research.id}"]`).click();
  await page.waitForURL(new RegExp(`/traces/${research.id}$`));
  const tree = page.getByRole('tree');
  await tree.getByText('summarize', { exact: true }).waitFor();
  const rows = await tree.getByRole('treeitem').allInnerTexts();
  assert.equal(rows.length, research.spans.length, rows.join('\n'));
  for (const span of research.spans) assert.ok(rows.some((r) => r.split('\n').includes(span.name)), `${span.name}:\n${rows.join('\n')}`);
  await page.getByLabel('Run insight').getByText('Final answer').waitFor();

  // The failed run: its failed step marked, its error in the totals and in the step's details.
  const failedRun = sentTraces().find((t) => t.error);
  await page.goto(`${ch.server.url}/traces/${failedRun.id}`);
  await tree.getByRole('treeitem').nth(failedRun.spans.length - 1).waitFor();
  assert.match(await page.locator('.totals').innerText(), /1\s*errors/i);
  const failedStep = tree.getByRole('treeitem').filter({ has: page.locator('.error-mark') });
  assert.equal(await failedStep.count(), 1);
  await failedStep.click();
  const failedSpan = failedRun.spans.find((s) => s.error);
  await page.getByRole('complementary', { name: 'Details' }).getByText(failedSpan.message).first().waitFor();

  // Sessions: each session sent with its user and traces; one session as its turns.
  await page.getByRole('link', { name: 'Sessions' }).click();
  const sessions = sentSessions();
  await page.waitForFunction((n) => document.querySelectorAll('.sessions-table tbody tr').length === n, sessions.size);
  for (const [id, { user, traces }] of sessions) {
    const row = await page.locator('.sessions-table tbody tr').filter({ hasText: id }).locator('td').allInnerTexts();
    assert.deepEqual(row.slice(0, 3), [id, user, String(traces.length)]);
  }
  const [sessionId, session] = [...sessions][0];
  await page.getByRole('link', { name: sessionId }).click();
  await page.locator('.turn').nth(session.traces.length - 1).waitFor();
  const turnLinks = await page.locator('.turn .turn-head a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(turnLinks, session.traces.map((t) => `/traces/${t.id}`), 'the turns in order');

  // The dashboard: the runs sent, and the same tiles as the embedded store's dashboard.
  await page.goto(`${ch.server.url}/dashboard`);
  const tiles = await dashboardTiles(page, sent.size);
  const errors = sentTraces().filter((t) => t.error).length;
  assert.equal(tiles['Error rate'], `${Math.round((100 * errors) / sent.size)}%`);
  const reference = await openSignedIn(browser, ref.server, ref.dataDir, { path: '/dashboard' });
  assert.deepEqual(tiles, await dashboardTiles(reference.page, sent.size));
  for (const name of ['Cost', 'Tokens', 'Latency', 'Traces', 'Errors']) {
    await page.getByRole('region', { name, exact: true }).locator('canvas').first().waitFor();
  }
  assert.deepEqual(await page.locator('[role="alert"]').allInnerTexts(), []);
  await reference.context.close();
  assert.deepEqual(problems, [], 'no page error, console error or failed API request');
  await context.close();
});
