// Users and roles in a real browser (Debian's Chromium driven by playwright-core) against the real
// binary: users made with `trackly users`, sign-in with name and password, the project picker,
// creating a project and adding a member in Settings, and a viewer without raw I/O who sees the
// trace but not its input. Screenshots go to build/e2e-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { launchBrowser } from './browser.mjs';
import { BINARY, startServer, createKey, tempDataDir, removeDir, cli } from './harness.mjs';

const PROJECT = 'shop';
const PASSWORD = 'a long enough password';
const SECRET_INPUT = 'customer order 55-1234, deliver to the back door';
const SCREENSHOTS = process.env.TRACKLY_SCREENSHOTS ?? join(dirname(BINARY), 'e2e-screenshots');

let dataDir;
let server;
let key;
let browser;
const traceId = randomBytes(16).toString('hex');

// `trackly users create NAME --password-stdin ...`, the password on standard input.
function createUser(name, ...args) {
  execFileSync(BINARY, ['users', 'create', name, '--password-stdin', '--data', dataDir, ...args],
    { input: `${PASSWORD}\n`, encoding: 'utf8' });
}

before(async () => {
  dataDir = tempDataDir();
  key = createKey(dataDir, { project: PROJECT });
  createUser('olga', '--project', PROJECT, '--role', 'owner');
  createUser('vera', '--project', PROJECT, '--role', 'viewer', '--no-raw-io');
  createUser('mia');
  server = await startServer(dataDir);
  const now = BigInt(Date.now()) * 1_000_000n;
  const span = {
    traceId, spanId: randomBytes(8).toString('hex'), name: 'answer-customer',
    startTimeUnixNano: String(now - 2_000_000_000n), endTimeUnixNano: String(now - 1_000_000_000n),
    attributes: [{ key: 'input.value', value: { stringValue: SECRET_INPUT } }],
  };
  const res = await fetch(`${server.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
    body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }),
  });
  assert.equal(res.status, 200);
  browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  const { code } = await server.stop();
  assert.equal(code, 0);
  removeDir(dataDir);
});

async function signIn(user) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/traces`);
  await page.getByLabel('User', { exact: true }).fill(user);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('header.top').waitFor();
  return { context, page };
}

test('a wrong password is refused with a message', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/traces`);
  await page.getByLabel('User', { exact: true }).fill('olga');
  await page.getByLabel('Password', { exact: true }).fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('unknown user or wrong password').waitFor();
  await context.close();
});

test('an owner signs in, creates a project, switches between projects and adds a member', async () => {
  const { context, page } = await signIn('olga');
  const header = page.locator('header.top');
  await header.getByText('owner').waitFor();
  await page.getByText('answer-customer').waitFor();

  await header.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('New project name').fill('shop-staging');
  await page.getByRole('button', { name: 'Create project' }).click();
  // The new project opens at once, and the picker offers both.
  const picker = header.getByLabel('Project');
  await picker.waitFor();
  assert.equal(await picker.inputValue(), 'shop-staging');
  assert.deepEqual(await picker.locator('option').allInnerTexts(), ['shop', 'shop-staging']);
  await page.getByRole('heading', { name: 'Settings · project shop-staging' }).waitFor();

  // Add mia as a member of shop-staging.
  await page.getByLabel('Member user name').fill('mia');
  await page.getByLabel('Member role').selectOption('member');
  await page.getByRole('button', { name: 'Add or change' }).click();
  const members = page.locator('.members-table tbody tr');
  await members.filter({ hasText: 'mia' }).waitFor();
  assert.equal(await members.count(), 2);
  await page.screenshot({ path: join(SCREENSHOTS, 'settings-members.png'), fullPage: true });

  // The audit log shows who did it; a filter by action is a link.
  await header.getByRole('link', { name: 'Audit' }).click();
  await page.locator('.audit-table tbody tr').filter({ hasText: 'member.put' }).waitFor();
  await page.getByLabel('Audit action').fill('member.put');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/\/audit\?action=member\.put$/);
  await page.waitForFunction(() => [...document.querySelectorAll('.audit-table tbody tr')]
    .every((r) => r.textContent.includes('member.put')) && document.querySelectorAll('.audit-table tbody tr').length === 1);
  const row = await page.locator('.audit-table tbody tr').first().innerText();
  assert.match(row, /user:olga/);
  assert.match(row, /mia/);
  await page.screenshot({ path: join(SCREENSHOTS, 'audit.png'), fullPage: true });

  // Back to shop: its trace is there, and shop-staging's members are not shop's.
  await picker.selectOption('shop');
  await header.getByRole('link', { name: 'Traces' }).click();
  await page.getByText('answer-customer').waitFor();
  const api = await page.evaluate(async () => (await fetch('/api/v1/members', { headers: { 'X-Trackly-Project': 'shop' } })).json());
  assert.deepEqual(api.data.map((m) => m.user), ['olga', 'vera']);
  await context.close();
});

test('a viewer without raw I/O sees the trace but not its input, and no admin settings', async () => {
  const { context, page } = await signIn('vera');
  const header = page.locator('header.top');
  await header.getByText('inputs/outputs hidden').waitFor();
  await page.getByRole('link', { name: 'answer-customer' }).click();
  await page.waitForURL(new RegExp(`/traces/${traceId}$`));
  const tree = page.getByRole('tree');
  await tree.getByText('answer-customer').click();
  await page.getByRole('complementary', { name: 'Details' }).getByText('answer-customer').first().waitFor();
  assert.equal((await page.content()).includes(SECRET_INPUT), false, 'the input reached the viewer');
  await page.screenshot({ path: join(SCREENSHOTS, 'viewer-no-raw-io.png'), fullPage: true });
  await header.getByRole('link', { name: 'Settings' }).click();
  await page.getByText('managed by the project').waitFor();
  assert.equal(await page.locator('.members-table').count(), 0);
  assert.equal(await header.getByRole('link', { name: 'Audit' }).count(), 0);
  await context.close();
});

test('the CLI lists users with their roles', () => {
  const listed = JSON.parse(cli(['users', 'list', '--data', dataDir, '--json']));
  const roles = Object.fromEntries(listed.data.map((u) => [u.name, u.roles.map((r) => `${r.project}:${r.role}`)]));
  assert.deepEqual(roles.olga, ['shop:owner', 'shop-staging:owner']);
  assert.deepEqual(roles.mia, ['shop-staging:member']);
  assert.deepEqual(roles.vera, ['shop:viewer']);
});
