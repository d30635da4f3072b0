// Process rules (docs/api.md "Process rules") through the real binary: `trackly rules set` from a
// file and from stdin, refusing a bad rule by name and changing nothing; `trackly rules show`; a
// running server's GET /api/v1/rules shows what the CLI set, and a PUT through the API shows in
// the CLI; both kinds of change are audited as rules.update with the rule names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINARY, startServer, tempDataDir, removeDir, createKey, cli, getJson } from './harness.mjs';

let dataDir, server, keys;

const RULES = { rules: [
  { name: 'search first', kind: 'tool_before_answer', tool: 'search', trace_name: 'support_agent' },
  { name: 'few model calls', kind: 'max_model_calls', max: 10 },
] };

const show = (project) => JSON.parse(cli(['rules', 'show', '--project', project, '--data', dataDir, '--json']));

before(async () => {
  dataDir = tempDataDir();
  keys = createKey(dataDir, { project: 'ruled', scopes: 'ingest,read,admin' });
  createKey(dataDir, { project: 'plain', scopes: 'read' });
});

after(async () => {
  if (server) await server.stop();
  removeDir(dataDir);
});

test('rules set from a file, refused when bad, shown as set, audited', () => {
  assert.deepEqual(show('ruled'), { project: 'ruled', rules: [] });
  const file = join(dataDir, 'rules.json');
  writeFileSync(file, JSON.stringify(RULES));
  const bad = `${file}.bad`;
  writeFileSync(bad, JSON.stringify({ rules: [{ name: 'neg', kind: 'max_tool_calls', max: -1 }] }));
  cli(['rules', 'set', '--project', 'ruled', '--file', file, '--data', dataDir]);
  assert.throws(() => cli(['rules', 'set', '--project', 'ruled', '--file', bad, '--data', dataDir]),
                (e) => String(e.stderr).includes('rule 0 ("neg"): max'));
  assert.throws(() => cli(['rules', 'set', '--project', 'nope', '--file', file, '--data', dataDir]),
                (e) => String(e.stderr).includes('nope'));
  const shown = show('ruled');
  assert.deepEqual(shown.rules.map((r) => r.name), ['search first', 'few model calls']);
  assert.equal(shown.rules[0].trace_name, 'support_agent');
  assert.deepEqual(show('plain').rules, []);
  // The table names every rule.
  const table = cli(['rules', 'show', '--project', 'ruled', '--data', dataDir]);
  assert.match(table, /search first/);
  assert.match(table, /at most 10 model call/);

  const audit = JSON.parse(cli(['audit', '--project', 'ruled', '--action', 'rules.update', '--data', dataDir, '--json']));
  const events = audit.data;
  assert.equal(events.length, 1, JSON.stringify(audit));
  assert.match(events[0].actor, /^cli:/);
  assert.deepEqual(events[0].details, { rules: 2, names: ['search first', 'few model calls'] });
});

test('rules set from stdin; the server shows CLI changes and the CLI shows API changes', async () => {
  execFileSync(BINARY, ['rules', 'set', '--project', 'ruled', '--file', '-', '--data', dataDir],
               { input: JSON.stringify({ rules: [{ name: 'cheap', kind: 'max_cost', max_usd: 0.05 }] }),
                 encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  assert.deepEqual(show('ruled').rules, [{ name: 'cheap', kind: 'max_cost', max_usd: 0.05 }]);

  server = await startServer(dataDir);
  const got = await getJson(server, '/api/v1/rules', keys.key);
  assert.equal(got.status, 200, got.body);
  assert.deepEqual(got.json, { rules: [{ name: 'cheap', kind: 'max_cost', max_usd: 0.05 }] });

  const put = await fetch(`${server.url}/api/v1/rules`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${keys.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ rules: [{ name: 'fast', kind: 'max_latency', max_ms: 30000 }] }),
  });
  assert.equal(put.status, 200, await put.text());
  assert.deepEqual(show('ruled').rules, [{ name: 'fast', kind: 'max_latency', max_ms: 30000 }]);

  const audit = await getJson(server, '/api/v1/audit?action=rules.update', keys.key);
  assert.equal(audit.status, 200, audit.body);
  assert.equal(audit.json.data.length, 3, audit.body);
  assert.match(audit.json.data[0].actor, /^key:/);
  assert.deepEqual(audit.json.data[0].details, { rules: 1, names: ['fast'] });
});
