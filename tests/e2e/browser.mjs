// Debian's Chromium driven by playwright-core, for the UI tests and bench/ui_large_trace.mjs:
// launching it headless, and signing in to the UI with a one-time `trackly ui-token` link.
import { chromium } from 'playwright-core';
import { cli } from './harness.mjs';

// A headless Chromium (CHROMIUM overrides the path). Playwright gives every launch a fresh
// temporary profile (the --user-data-dir).
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A one-time sign-in link for `project` that lands on `path`, as `trackly ui-token` prints it
// (run with `env` on top of this process's environment: TRACKLY_STORE=clickhouse… for a node
// whose catalog is in ClickHouse).
export function loginLink(server, dataDir, project, path = '/', env = {}) {
  const { url } = JSON.parse(cli(['ui-token', '--project', project, '--url', server.url, '--data', dataDir, '--json'], env));
  return url.replace('/#login=', `${path}#login=`);
}

// A page of a fresh context of `browser`, signed in to `project` of `server` (data directory
// `dataDir`, CLI environment `env`) with a one-time link that lands on `path`; resolves once the UI shows it is signed
// in. `problems` collects, from then on and for every page of the context, what a broken page
// shows: an uncaught error, a console error (Chromium logs every failed fetch there too), a
// dialog, and an API request that failed or answered 4xx/5xx. Requests the UI aborts itself
// (leaving a page) are not problems. Close with `context.close()`.
export async function openSignedIn(browser, server, dataDir, { project = 'default', path = '/', env = {} } = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const problems = [];
  const isApi = (url) => new URL(url).pathname.startsWith('/api/');
  const watch = (page) => {
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
    page.on('requestfailed', (r) => {
      if (isApi(r.url()) && r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${r.url()}: ${r.failure()?.errorText}`);
    });
    page.on('response', (r) => { if (isApi(r.url()) && r.status() >= 400) problems.push(`${r.url()}: HTTP ${r.status()}`); });
  };
  context.on('page', watch);
  const page = await context.newPage();
  const res = await page.goto(loginLink(server, dataDir, project, path, env));
  if (res?.status() !== 200) throw new Error(`the UI answered ${res?.status()} at ${path}`);
  await page.getByText('Sign out').waitFor();
  return { context, page, problems };
}

// Runs in every document of a context before its own scripts: records, in `window.__injections`
// and through the `__reportInjection` binding, anything hostile data could make the page do —
// a write to `window.__xss` (what every test payload does when it runs), a CSP violation, and
// every element that appears (or changes) that the UI never makes itself: script, image, frame,
// object/embed, media, style/meta/base, MathML, SVG outside React Flow, an on* attribute, a
// javascript:/data:/vbscript: URL or srcdoc. A MutationObserver sees elements as they come, so
// one that is inserted and removed again (or scrolled out of a virtualized list) is caught too.
const kInjectionWatch = () => {
  const findings = [];
  window.__injections = findings;
  const documentId = Math.random().toString(36).slice(2);
  const report = (kind, detail) => {
    const entry = { kind, detail: String(detail).slice(0, 400), key: `${documentId}:${findings.length}` };
    findings.push(entry);
    try { window.__reportInjection?.(entry); } catch { /* the binding is not there yet */ }
  };
  Object.defineProperty(window, '__xss', {
    configurable: false, get: () => undefined, set: (value) => report('script ran', `__xss=${value}`),
  });
  document.addEventListener('securitypolicyviolation',
    (e) => report('csp violation', `${e.violatedDirective} refused ${e.blockedURI} ${e.sample}`), true);

  const kNever = new Set(['script', 'img', 'image', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'video',
    'audio', 'source', 'track', 'picture', 'style', 'base', 'meta', 'template', 'marquee', 'noscript', 'portal',
    'fencedframe', 'xmp', 'plaintext', 'noembed', 'noframes', 'param', 'math']);
  const kUrlAttributes = new Set(['href', 'xlink:href', 'src', 'action', 'formaction', 'data', 'background', 'poster',
    'code', 'codebase', 'lowsrc', 'dynsrc', 'ping', 'srcset', 'content', 'to', 'values', 'from', 'by']);
  // Browsers drop whitespace and control characters in a URL's scheme.
  const badUrl = (value) => /^(javascript|data|vbscript):/
    .test(value.replace(/[\u0000-\u0020\u007f-\u00a0\u200b\u2028\u2029\ufeff]/g, '').toLowerCase());
  const assets = `${location.origin}/assets/`;
  // The page's own head: its module script, stylesheets and preloads (Vite) and two meta tags.
  const ownHeadElement = (el, tag) => el.parentNode === document.head && (
    (tag === 'script' && el.src.startsWith(assets) && !el.text)
    || (tag === 'meta' && !el.httpEquiv && (el.getAttribute('charset') !== null || el.name === 'viewport')));
  const inReactFlow = (el) => el.closest('.react-flow') !== null || [...el.classList].some((c) => c.startsWith('react-flow'));
  const check = (el) => {
    const tag = el.localName.toLowerCase();
    const what = () => el.outerHTML.slice(0, 300);
    if (kNever.has(tag) && !ownHeadElement(el, tag)) report('injected element', what());
    else if (tag === 'link' && !(el.href.startsWith(assets) && /^(stylesheet|modulepreload)$/.test(el.rel))) {
      report('injected element', what());
    }
    else if (tag === 'svg' && !inReactFlow(el)) report('injected element', what());
    else if (el.namespaceURI === 'http://www.w3.org/1998/Math/MathML') report('injected element', what());
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on') || name === 'srcdoc') report('injected attribute', `${name} on ${what()}`);
      else if (kUrlAttributes.has(name) && badUrl(attr.value)) report('injected URL', what());
    }
    if ((tag === 'a' || tag === 'area') && typeof el.href === 'string' && badUrl(el.href)) report('injected URL', what());
  };
  const checkTree = (node) => {
    if (node.nodeType !== 1) return;
    check(node);
    for (const el of node.querySelectorAll('*')) check(el);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') check(r.target);
      else for (const node of r.addedNodes) checkTree(node);
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });

  // The Object, Array and Function prototypes as they were before the page's scripts ran.
  const shape = () => [Object.prototype, Array.prototype, Function.prototype]
    .map((p) => Object.getOwnPropertyNames(p).sort().join(',')).join('|');
  const before = shape();
  window.__checkInjections = () => {
    checkTree(document.documentElement);
    if (shape() !== before) report('prototype polluted', shape());
    if ({}.polluted !== undefined || [].polluted !== undefined) report('prototype polluted', 'polluted');
    return findings;
  };
};

// Watches every page of `context` for injections (kInjectionWatch) and for what the page itself
// reports: dialogs (alert, confirm, prompt), uncaught errors, console messages about the Content
// Security Policy, frames and popups (the UI opens none). Returns the list findings are added to,
// [{kind, detail, url}]; `injectionFindings(page, list)` adds a last scan of the page's DOM.
export async function watchForInjections(context) {
  const findings = [];
  const seen = new Set(); // keys of what the page's script reported (through the binding or a scan)
  const add = (page, kind, detail, key) => {
    if (key !== undefined && seen.has(key)) return;
    if (key !== undefined) seen.add(key);
    findings.push({ kind, detail: String(detail).slice(0, 400), url: page?.url() });
  };
  Object.defineProperty(findings, 'add', { value: add }); // not enumerable: the list stays a plain list
  await context.exposeBinding('__reportInjection', ({ page }, entry) => add(page, entry.kind, entry.detail, entry.key));
  await context.addInitScript(kInjectionWatch);
  const watch = (page) => {
    page.on('dialog', (d) => { add(page, 'dialog', `${d.type()}: ${d.message()}`); void d.dismiss(); });
    page.on('pageerror', (e) => add(page, 'page error', e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) add(page, 'csp console message', m.text());
    });
    page.on('frameattached', (f) => add(page, 'frame attached', f.url()));
    page.on('popup', (p) => add(page, 'popup', p.url()));
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return findings;
}

// Scans the page's DOM once more and checks the prototypes; resolves to `findings`, with
// everything the page's script has recorded (the binding may not have delivered it all yet).
export async function injectionFindings(page, findings) {
  for (const entry of await page.evaluate(() => window.__checkInjections())) {
    findings.add(page, entry.kind, entry.detail, entry.key);
  }
  return findings;
}
