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

// A one-time sign-in link for `project` that lands on `path`, as `trackly ui-token` prints it.
export function loginLink(server, dataDir, project, path = '/') {
  const { url } = JSON.parse(cli(['ui-token', '--project', project, '--url', server.url, '--data', dataDir, '--json']));
  return url.replace('/#login=', `${path}#login=`);
}
