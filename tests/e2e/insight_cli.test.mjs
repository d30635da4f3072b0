// The insight commands on the real binary (docs/insight.md): `trackly trace` (run profile, stop
// reason, findings), `trackly diff` (against another run and the typical one) and `trackly
// workflow` (graph and release diff), over runs that `trackly demo` sends to a running server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDataDir, removeDir, createKey, cli } from './harness.mjs';

let dataDir, server;

before(async () => {
  dataDir = tempDataDir();
  const { key } = createKey(dataDir, { scopes: 'ingest,read' });
  // A short finish delay, so the demo's runs are evaluated (and counted in the workflow rollups)
  // within the test.
  server = await startServer(dataDir, ['--trace-finish-delay-ms', '300']);
  for (let i = 0; i < 3; i++) cli(['demo', '--endpoint', server.url, '--key', key]);
});

after(async () => {
  await server.stop();
  removeDir(dataDir);
});

function researchRuns() {
  const list = JSON.parse(cli(['traces', '--data', dataDir, '--name', 'research_assistant', '--json']));
  assert.equal(list.data.length, 3, JSON.stringify(list));
  return list.data.map((t) => t.id);  // newest first
}

test('trackly trace ends with how the run went', () => {
  const [newest] = researchRuns();
  const out = cli(['trace', newest, '--data', dataDir]);
  assert.match(out, /^Run: 2 model calls, 0 tool calls, 1 retrievals/m);
  assert.match(out, /^Stopped: final_answer \(finish_reason "/m);
  const json = JSON.parse(cli(['trace', newest, '--data', dataDir, '--json']));
  assert.equal(json.insight.profile.stop_reason, 'final_answer');
  assert.ok(json.insight.critical_path.length > 0);
});

test('trackly diff compares two runs step by step, and a run with the typical one', () => {
  const [newest, , oldest] = researchRuns();
  const out = cli(['diff', oldest, newest, '--data', dataDir]);
  assert.match(out, new RegExp(`^a: ${oldest}  research_assistant  \\[baseline\\]`, 'm'));
  assert.match(out, /^Steps: \d+ same, \d+ changed, 0 added, 0 removed$/m);
  assert.match(out, /^[=~] chain:research_assistant/m);  // the demo's random timings may change the root
  const typical = cli(['diff', '--typical', newest, '--data', dataDir]);
  assert.match(typical, /\(typical of 2 earlier traces\)/);
  assert.throws(() => cli(['diff', '--data', dataDir, newest]), /give a baseline trace id and a trace id/);
});

// The workflow graph of the demo agent from its rollups, once its 3 runs were evaluated (polled up
// to 20 s: each is evaluated a finish delay after its last span).
async function evaluatedWorkflow() {
  const deadline = Date.now() + 20_000;
  while (true) {
    const graph = JSON.parse(cli(['workflow', '--name', 'research_assistant', '--data', dataDir, '--json']));
    if (graph.totals.runs === 3 || Date.now() > deadline) return graph;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('trackly workflow shows the agent\'s steps over its runs and a diff of two time ranges', async () => {
  const graph = await evaluatedWorkflow();
  assert.equal(graph.source, 'rollups');
  assert.equal(graph.totals.runs, 3, JSON.stringify(graph.totals));
  const out = cli(['workflow', '--name', 'research_assistant', '--data', dataDir]);
  assert.match(out, /^research_assistant: 3 runs; per run 8\.0 spans, 2\.0 model calls/m);
  assert.match(out, /^ {2}read from the rollups of the runs evaluated at completion$/m);
  assert.match(out, /^ {2}retriever:retrieve_context +3 +1\.00/m);
  // --limit reads the runs themselves: the same steps.
  const exact = cli(['workflow', '--name', 'research_assistant', '--data', dataDir, '--limit', '10']);
  assert.match(exact, /^research_assistant: 3 runs; per run 8\.0 spans, 2\.0 model calls/m);
  assert.match(exact, /^ {2}read from the newest runs themselves \(--limit\)$/m);
  assert.match(exact, /^ {2}retriever:retrieve_context +3 +1\.00/m);
  const diff = cli(['workflow', '--name', 'research_assistant', '--data', dataDir, '--before-until', '1h', '--after-since', '1h']);
  assert.match(diff, /^research_assistant: 0 runs before, 3 after$/m);
  assert.match(diff, /^\+ new step +chain:research_assistant$/m);
});
