// How fast the web UI shows one large trace (docs/benchmarks.md "UI: large traces"). Starts the
// real binary on a fresh data dir, ingests one agent trace of each size (tests/e2e/large_trace.mjs),
// signs a headless Chromium in with a `trackly ui-token` link, opens the trace view and prints the
// median of 3 runs of: time to the first tree rows, time until every span is loaded, and the
// longest main-thread block meanwhile (the longest 'longtask' entry, and the longest gap between
// animation frames). Also times the whole-trace API read the UI no longer uses, for comparison.
//
//   TRACKLY_BINARY=build/trackly node bench/ui_large_trace.mjs [spans ...]   (default 10000 100000)
//
// playwright-core comes from tests/e2e/node_modules (scripts/install-deps.sh installs it).
import { launchBrowser, loginLink } from '../tests/e2e/browser.mjs';
import { createKey, removeDir, startServer, tempDataDir } from '../tests/e2e/harness.mjs';
import { agentTraceSpans, ingestSpans } from '../tests/e2e/large_trace.mjs';

const kRuns = 3;
const sizes = process.argv.slice(2).map(Number);
if (sizes.length === 0) sizes.push(10_000, 100_000);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Installed before the app's scripts: records long tasks and the gaps between animation frames.
function probe() {
  window.__probe = { longestTaskMs: 0, longestFrameGapMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__probe.longestTaskMs = Math.max(window.__probe.longestTaskMs, e.duration);
  }).observe({ type: 'longtask', buffered: true });
  let last = performance.now();
  const frame = (now) => {
    window.__probe.longestFrameGapMs = Math.max(window.__probe.longestFrameGapMs, now - last);
    last = now;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

async function openOnce(browser, server, dataDir, traceId) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(loginLink(server, dataDir, 'bench')); // signs in; the session cookie stays in the context
  await page.getByText('Sign out').waitFor();
  await context.addInitScript(probe);
  const started = Date.now();
  await page.goto(`${server.url}/traces/${traceId}`);
  await page.locator('[role=treeitem]').first().waitFor({ timeout: 600_000 });
  const firstRowsMs = Date.now() - started;
  await page.waitForFunction(() => document.querySelector('.trace-view') && !document.querySelector('.trace-progress'),
                             null, { timeout: 600_000, polling: 50 });
  const allLoadedMs = Date.now() - started;
  const { longestTaskMs, longestFrameGapMs } = await page.evaluate(() => window.__probe);
  await context.close();
  return { firstRowsMs, allLoadedMs, longestTaskMs, longestFrameGapMs };
}

const dataDir = tempDataDir();
const { key } = createKey(dataDir, { project: 'bench' });
const server = await startServer(dataDir);
const browser = await launchBrowser();
try {
  console.log('spans    first rows   all loaded   longest task   longest frame gap   GET /traces/{id} (whole trace)');
  for (const size of sizes) {
    const { traceId, spans } = agentTraceSpans(size);
    await ingestSpans(server, key, spans);
    const wholeStarted = Date.now();
    const whole = await fetch(`${server.url}/api/v1/traces/${traceId}`, { headers: { Authorization: `Bearer ${key}` } });
    await whole.arrayBuffer();
    const wholeMs = Date.now() - wholeStarted;
    const runs = [];
    for (let i = 0; i < kRuns; i++) runs.push(await openOnce(browser, server, dataDir, traceId));
    const m = (field) => `${median(runs.map((r) => r[field])).toFixed(0)} ms`;
    console.log(`${String(spans.length).padEnd(8)} ${m('firstRowsMs').padStart(10)}   ${m('allLoadedMs').padStart(10)}   ` +
                `${m('longestTaskMs').padStart(12)}   ${m('longestFrameGapMs').padStart(17)}   ${wholeMs} ms`);
  }
} finally {
  await browser.close();
  await server.stop();
  removeDir(dataDir);
}
