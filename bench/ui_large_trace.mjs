// How fast the web UI shows one large trace (docs/benchmarks.md "UI: large traces"). Starts the
// real binary on a fresh data dir, ingests one agent trace of each size (tests/e2e/large_trace.mjs),
// signs a headless Chromium in with a `trackly ui-token` link, opens the trace view and prints the
// median of 3 runs of: time to the first tree rows, time until every span is loaded, and the
// longest main-thread block meanwhile (the longest 'longtask' entry, and the longest gap between
// animation frames). Also times the whole-trace API read the UI no longer uses, for comparison.
//
// With --graph it measures the agent graph tab instead: opened as soon as the first rows show (the
// longest block while the trace loads with the graph open), and switched to from the tree once
// every span is loaded (the longest block from the click until the graph is drawn).
//
//   TRACKLY_BINARY=build/trackly node bench/ui_large_trace.mjs [--graph] [spans ...]   (default 10000 100000)
//
// playwright-core comes from tests/e2e/node_modules (scripts/install-deps.sh installs it).
import { launchBrowser, loginLink } from '../tests/e2e/browser.mjs';
import { createKey, removeDir, startServer, tempDataDir } from '../tests/e2e/harness.mjs';
import { agentTraceSpans, ingestSpans } from '../tests/e2e/large_trace.mjs';

const kRuns = 3;
const args = process.argv.slice(2);
const graphMode = args.includes('--graph');
const sizes = args.filter((a) => a !== '--graph').map(Number);
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

// A fresh signed-in page with the probe installed, not yet on the trace.
async function signedInPage(browser, server, dataDir) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(loginLink(server, dataDir, 'bench')); // signs in; the session cookie stays in the context
  await page.getByText('Sign out').waitFor();
  await context.addInitScript(probe);
  return { context, page };
}
const firstRows = (page) => page.locator('[role=treeitem]').first().waitFor({ timeout: 600_000 });
const allLoaded = (page) => page.waitForFunction(
  () => document.querySelector('.trace-view') && !document.querySelector('.trace-progress'), null, { timeout: 600_000, polling: 50 });

const graphTab = (page) => page.getByRole('tab', { name: 'Agent graph' });
const graphDrawn = (page) => page.locator('.react-flow__node').first().waitFor({ timeout: 600_000 });
// Waits until the main thread has been idle for a while, so a long task after the graph's first
// boxes (a redraw, the layout) is still counted.
const settle = (page) => page.evaluate(() => new Promise((done) => setTimeout(done, 1000)));

// The agent graph, in two fresh pages: the longest block while the trace loads with the graph open
// (opened at the first rows), and the longest block from switching to it from the tree, once every
// span is loaded, until it is drawn.
async function openGraphOnce(browser, server, dataDir, traceId) {
  const result = {};
  for (const when of ['loading', 'switch']) {
    const { context, page } = await signedInPage(browser, server, dataDir);
    await page.goto(`${server.url}/traces/${traceId}`);
    await firstRows(page);
    if (when === 'loading') await graphTab(page).click();
    await allLoaded(page);
    if (when === 'switch') {
      await settle(page);
      await page.evaluate(() => { window.__probe.longestTaskMs = 0; window.__probe.longestFrameGapMs = 0; });
      await graphTab(page).click();
    }
    await graphDrawn(page);
    await settle(page);
    const { longestTaskMs, longestFrameGapMs } = await page.evaluate(() => window.__probe);
    result[`${when}TaskMs`] = longestTaskMs;
    result[`${when}GapMs`] = longestFrameGapMs;
    await context.close();
  }
  return result;
}

async function openOnce(browser, server, dataDir, traceId) {
  const { context, page } = await signedInPage(browser, server, dataDir);
  const started = Date.now();
  await page.goto(`${server.url}/traces/${traceId}`);
  await firstRows(page);
  const firstRowsMs = Date.now() - started;
  await allLoaded(page);
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
  console.log(graphMode
    ? 'spans    agent graph open while loading: longest task / frame gap   switching to it when loaded: longest task / frame gap'
    : 'spans    first rows   all loaded   longest task   longest frame gap   GET /traces/{id} (whole trace)');
  for (const size of sizes) {
    const { traceId, spans } = agentTraceSpans(size);
    await ingestSpans(server, key, spans);
    if (graphMode) {
      const runs = [];
      for (let i = 0; i < kRuns; i++) runs.push(await openGraphOnce(browser, server, dataDir, traceId));
      const m = (field) => `${median(runs.map((r) => r[field])).toFixed(0)} ms`;
      const all = (field) => runs.map((r) => r[field].toFixed(0)).join(', ');
      console.log(`${String(spans.length).padEnd(8)} ${m('loadingTaskMs')} / ${m('loadingGapMs')} (runs ${all('loadingTaskMs')})   ` +
                  `${m('switchTaskMs')} / ${m('switchGapMs')} (runs ${all('switchTaskMs')})`);
      continue;
    }
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
