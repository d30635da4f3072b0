// Starts and stops the real trackly binary for end-to-end tests. The server listens on port 0 and
// prints "trackly listening on http://HOST:PORT"; we wait for that line instead of sleeping.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const BINARY = process.env.TRACKLY_BINARY ?? new URL('../../build/trackly', import.meta.url).pathname;

export function tempDataDir() {
  return mkdtempSync(join(tmpdir(), 'trackly-e2e-'));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

// Runs a CLI command and returns its stdout (throws with stderr on a non-zero exit). `env` is
// added to this process's environment.
export function cli(args, env = {}) {
  return execFileSync(BINARY, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

// Creates a project (if missing) and a key with the given scopes; returns the key JSON. `env` is
// the CLI's environment on top of this process's (TRACKLY_STORE=clickhouse… for a ClickHouse
// catalog).
export function createKey(dataDir, { project = 'default', scopes = 'ingest,read', env = {} } = {}) {
  try {
    cli(['projects', 'create', project, '--data', dataDir], env);
  } catch (e) {
    if (!String(e.stderr).includes('exists')) throw e;
  }
  return JSON.parse(cli(['keys', 'create', '--project', project, '--scopes', scopes, '--data', dataDir, '--json'], env));
}

// Starts `trackly serve` on a free port. Resolves to {url, pid, stop(), kill9()}.
export function startServer(dataDir, extraArgs = []) {
  const proc = spawn(BINARY, ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        resolve({
          url: m[1],
          pid: proc.pid,
          stderr: () => stderr,
          exited,
          // Graceful stop: SIGTERM, then wait for the exit status.
          stop: async () => { proc.kill('SIGTERM'); return exited; },
          kill9: async () => { proc.kill('SIGKILL'); return exited; },
        });
      }
    });
    // 'close', not 'exit': it comes once stderr is drained too, so the error holds what trackly said.
    proc.on('close', (code, signal) => reject(new Error(`trackly exited (code ${code}, signal ${signal}) before listening:\n${stderr}`)));
  });
}

// GET a JSON document from the query API.
export async function getJson(server, path, key) {
  const res = await fetch(server.url + path, { headers: { Authorization: `Bearer ${key}` } });
  const body = await res.text();
  let json = null;
  try { json = JSON.parse(body); } catch { /* left null: the caller asserts on status first */ }
  return { status: res.status, json, body, headers: res.headers };
}

// A LangSmith dotted_order segment, "<YYYYMMDDTHHMMSSffffffZ><id>", as the clients write them.
export function dottedOrderSegment(ms, id) {
  const iso = new Date(ms).toISOString();  // 2026-11-22T02:29:10.455Z
  return iso.replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '$1000Z') + id;
}

// Every file under `dir` (recursively) whose bytes contain `word`: proof that erased or expired
// text is gone from disk, not just from the API.
export function filesHolding(dir, word) {
  const found = [];
  const walk = (at) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (readFileSync(path).includes(Buffer.from(word))) found.push(path);
    }
  };
  walk(dir);
  return found;
}

// Polls `check` (it may be async) every 200 ms until it returns true; fails after `timeoutMs`
// naming `what` and the last thing `check` returned. For what a test cannot be told about (a
// spool shipping, a background evaluation), instead of sleeping for a fixed time.
export async function waitFor(what, check, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last === true) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}
