// Retention settings (docs/security.md "Retention"): the server's defaults from its flags, a
// project's own set with `trackly retention set` beside the running server and seen at once by
// GET /api/v1/retention, set through the API and seen by `trackly retention show`, `unset` back to
// the defaults; bad values refused naming the option; every change audited with before and after.
// (How expiry then applies them: retention_expiry.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDataDir, removeDir, createKey, cli, getJson } from './harness.mjs';

let dataDir, server, keys, otherKeys;

before(async () => {
  dataDir = tempDataDir();
  keys = createKey(dataDir, { project: 'kept', scopes: 'ingest,read,admin' });
  otherKeys = createKey(dataDir, { project: 'other', scopes: 'ingest,read,admin' });
  server = await startServer(dataDir, ['--retention-payload-days', '7', '--retention-summary-days', '30']);
});

after(async () => {
  await server?.stop();
  removeDir(dataDir);
});

const show = (project) => JSON.parse(cli(['retention', 'show', '--project', project, '--data', dataDir, '--json']));
const kDefault = { payload_days: 7, summary_days: 30, source: 'default' };

test('the CLI and the API set, show and unset a project retention beside a running server', async () => {
  assert.deepEqual(show('kept'), { project: 'kept', retention: null });
  assert.match(cli(['retention', 'show', '--project', 'kept', '--data', dataDir]), /no retention of its own/);
  let got = await getJson(server, '/api/v1/retention', keys.key);
  assert.equal(got.status, 200, got.body);
  assert.deepEqual(got.json, kDefault);

  const set = cli(['retention', 'set', '--project', 'kept', '--payload-days', '3', '--summary-days', '90', '--data', dataDir]);
  assert.match(set, /full payloads kept: 3 day\(s\)/);
  assert.match(set, /summary kept: +90 day\(s\)/);
  assert.deepEqual(show('kept'), { project: 'kept', retention: { payload_days: 3, summary_days: 90 } });
  got = await getJson(server, '/api/v1/retention', keys.key);
  assert.deepEqual(got.json, { payload_days: 3, summary_days: 90, source: 'project' });
  // The other project still follows the defaults.
  assert.deepEqual((await getJson(server, '/api/v1/retention', otherKeys.key)).json, kDefault);

  const put = await fetch(`${server.url}/api/v1/retention`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${keys.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ payload_days: 14, summary_days: 0 }),
  });
  assert.equal(put.status, 200, await put.text());
  assert.deepEqual(show('kept').retention, { payload_days: 14, summary_days: 0 });
  assert.match(cli(['retention', 'show', '--project', 'kept', '--data', dataDir]), /summary kept: +forever/);

  cli(['retention', 'unset', '--project', 'kept', '--data', dataDir]);
  assert.deepEqual(show('kept').retention, null);
  assert.deepEqual((await getJson(server, '/api/v1/retention', keys.key)).json, kDefault);
});

test('bad values are refused naming the option and change nothing', () => {
  for (const [args, message] of [
    [['--payload-days', '40', '--summary-days', '30'], '--payload-days (payload_days: must not be more than summary_days (30)'],
    [['--payload-days', '1', '--summary-days', '40000'], '--summary-days (summary_days: must be from 0 (keep forever) to 36500 days, got 40000)'],
    [['--payload-days=-1', '--summary-days', '3'], '--payload-days (payload_days: must be from 0'],
  ]) {
    assert.throws(() => cli(['retention', 'set', '--project', 'other', ...args, '--data', dataDir]),
                  (e) => String(e.stderr).includes(message), `${args}`);
  }
  assert.throws(() => cli(['retention', 'show', '--project', 'missing', '--data', dataDir]),
                (e) => String(e.stderr).includes('missing'));
  assert.equal(show('other').retention, null);
});

test('a bad default stops the server naming the option', async () => {
  const dir = tempDataDir();
  try {
    await assert.rejects(startServer(dir, ['--retention-payload-days', '9', '--retention-summary-days', '3']),
                         /option retention_payload_days: must not be more than summary_days \(3\)/);
  } finally {
    removeDir(dir);
  }
});

test('every change is in the audit log with the project setting before and after', () => {
  const { data } = JSON.parse(cli(['audit', '--project', 'kept', '--data', dataDir, '--json', '--limit', '100']));
  const events = data.filter((e) => e.action.startsWith('retention.')).sort((a, b) => a.id - b.id);
  assert.deepEqual(events.map((e) => [e.action, e.actor.split(':')[0], e.details]), [
    ['retention.update', 'cli', { before: null, after: { payload_days: 3, summary_days: 90 } }],
    ['retention.update', 'key', { before: { payload_days: 3, summary_days: 90 }, after: { payload_days: 14, summary_days: 0 } }],
    ['retention.remove', 'cli', { before: { payload_days: 14, summary_days: 0 }, after: null }],
  ]);
});
