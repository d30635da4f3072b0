// The audit log end to end (docs/security.md "Audit log"): changes made with the CLI on the data
// directory and through the API of the real server, trace views, a failed sign-in, and `trackly
// audit` reading them all back (table and JSON), with nothing secret in any event.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { BINARY, startServer, createKey, tempDataDir, removeDir, cli, getJson } from './harness.mjs';

const PROJECT = 'shop';
const PASSWORD = 'a long enough password';
const WRONG_PASSWORD = 'wrong-password-canary-7731';
const CLI_ACTOR = `cli:${userInfo().username}`;

let dataDir;
let key;
const traceId = randomBytes(16).toString('hex');

function auditJson(...args) {
  return JSON.parse(cli(['audit', '--data', dataDir, '--json', '--limit', '1000', ...args])).data;
}

function find(events, action, target) {
  const found = events.filter((e) => e.action === action && (target === undefined || e.target === target));
  assert.equal(found.length, 1, `${action} ${target ?? ''} in ${JSON.stringify(events)}`);
  return found[0];
}

before(async () => {
  dataDir = tempDataDir();
  key = createKey(dataDir, { project: PROJECT, scopes: 'ingest,read,admin' });
  execFileSync(BINARY, ['users', 'create', 'olga', '--password-stdin', '--data', dataDir, '--project', PROJECT, '--role', 'owner'],
    { input: `${PASSWORD}\n`, encoding: 'utf8' });
  cli(['users', 'create', 'mia', '--data', dataDir]);
  cli(['users', 'grant', 'mia', '--project', PROJECT, '--role', 'viewer', '--no-raw-io', '--data', dataDir]);
  cli(['users', 'revoke', 'mia', '--project', PROJECT, '--data', dataDir]);
  cli(['users', 'delete', 'mia', '--data', dataDir]);
});

after(() => removeDir(dataDir));

test('changes from the CLI and the API, views and sign-ins are in the audit log', async () => {
  const server = await startServer(dataDir);
  try {
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = { traceId, spanId: randomBytes(8).toString('hex'), name: 'answer',
      startTimeUnixNano: String(now - 2_000_000_000n), endTimeUnixNano: String(now - 1_000_000_000n) };
    const ingested = await fetch(`${server.url}/v1/traces`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }),
    });
    assert.equal(ingested.status, 200);
    assert.equal((await getJson(server, `/api/v1/traces/${traceId}`, key.key)).status, 200);
    const login = await fetch(`${server.url}/api/v1/ui/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'olga', password: WRONG_PASSWORD }),
    });
    assert.equal(login.status, 401);

    // The API: the project's events, the view among them (queued views are written first).
    const api = await getJson(server, '/api/v1/audit?limit=1000', key.key);
    assert.equal(api.status, 200, api.body);
    assert.equal(find(api.json.data, 'trace.view', traceId).actor, `key:${key.id}`);
    assert.equal(find(api.json.data, 'key.create', key.id).actor, CLI_ACTOR);
    for (const event of api.json.data) assert.equal(event.project, PROJECT);
  } finally {
    const { code } = await server.stop();
    assert.equal(code, 0);
  }
  cli(['keys', 'revoke', key.id, '--data', dataDir]);
  const price = JSON.parse(cli(['models', 'add', '--project', PROJECT, '--name', 'acme-1', '--input', '1', '--output', '2',
    '--data', dataDir, '--json']));
  cli(['models', 'list', '--project', PROJECT, '--data', dataDir]);  // reading records nothing

  const events = auditJson();
  assert.equal(find(events, 'model_price.put', price.id).actor, CLI_ACTOR);
  assert.equal(find(events, 'project.create', PROJECT).actor, CLI_ACTOR);
  assert.deepEqual(find(events, 'key.create', key.id).details, { name: '', scopes: 'ingest,read,admin' });
  assert.equal(find(events, 'key.revoke', key.id).project, PROJECT);
  assert.equal(find(events, 'user.create', 'olga').project, null);
  assert.equal(find(events, 'user.delete', 'mia').actor, CLI_ACTOR);
  assert.deepEqual(find(events, 'member.put', 'mia').details, { role: 'viewer', raw_io: false });
  assert.equal(find(events, 'member.remove', 'mia').project, PROJECT);
  const failure = find(events, 'signin.failure');
  assert.equal(failure.actor, 'user:olga');
  assert.equal(failure.project, null);
  const everything = cli(['audit', '--data', dataDir, '--json', '--limit', '1000']);
  for (const secret of [WRONG_PASSWORD, PASSWORD, key.key, key.secret_key]) {
    assert.ok(!everything.includes(secret), `a secret in the audit log: ${secret}`);
  }

  // Filters, and the table a person reads.
  const views = auditJson('--project', PROJECT, '--action', 'trace.view');
  assert.deepEqual(views.map((e) => e.target), [traceId]);
  const table = cli(['audit', '--data', dataDir, '--project', PROJECT, '--action', 'key.revoke']);
  assert.match(table, /^TIME \(UTC\)\s+PROJECT\s+ACTOR\s+ACTION\s+TARGET\s+DETAILS\n/);
  assert.match(table, new RegExp(`${PROJECT}\\s+${CLI_ACTOR}\\s+key\\.revoke\\s+${key.id}`));
  assert.throws(() => cli(['audit', '--data', dataDir, '--project', 'nope']), /unknown project 'nope'/);
});
