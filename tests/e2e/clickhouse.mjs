// Starts and stops Debian's clickhouse-server for the end-to-end tests of the ClickHouse backend:
// on loopback, on free ports, with its own config and data directory (kept across stop/start, so
// an outage test can bring the same server back), stopped by its process id.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { getJson, waitFor } from './harness.mjs';

export const CLICKHOUSE_BINARY = process.env.CLICKHOUSE_SERVER ?? '/usr/sbin/clickhouse-server';

export function clickhouseInstalled() {
  try {
    accessSync(CLICKHOUSE_BINARY, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Settings kept small: tests hold little data and the machine is shared.
function config(dir, httpPort, tcpPort) {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/data/tmp/</tmp_path>
  <user_files_path>${dir}/data/user_files/</user_files_path>
  <format_schema_path>${dir}/data/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
</yandex>
`;
}

const USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`;

async function ping(url) {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

// A clickhouse-server in `dir` (created). Resolves to {url, start(), stop(), kill9()} once it
// answers /ping; stop/start keep its data and ports.
export async function startClickHouse(dir) {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const httpPort = await freePort();
  let tcpPort = await freePort();
  while (tcpPort === httpPort) tcpPort = await freePort();
  writeFileSync(join(dir, 'config.xml'), config(dir, httpPort, tcpPort));
  writeFileSync(join(dir, 'users.xml'), USERS);
  const url = `http://127.0.0.1:${httpPort}`;
  let proc = null;
  let exited = null;
  const server = {
    url,
    async start() {
      proc = spawn(CLICKHOUSE_BINARY, [`--config-file=${join(dir, 'config.xml')}`], { stdio: 'ignore' });
      exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
      let gone = false;
      exited.then(() => { gone = true; });
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !gone) {
        if (await ping(url)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      let log = '';
      try { log = readFileSync(join(dir, 'server.err.log'), 'utf8').slice(-2000); } catch { /* none */ }
      throw new Error(`clickhouse-server on ${url} ${gone ? 'exited' : 'did not answer /ping'}:\n${log}`);
    },
    async stop() {
      if (!proc) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      proc = null;
    },
    async kill9() {
      if (!proc) return;
      proc.kill('SIGKILL');
      await exited;
      proc = null;
    },
    // Runs one SQL statement through the HTTP interface; resolves to the response text.
    async query(sql) {
      const res = await fetch(`${url}/?database=default`, { method: 'POST', body: sql });
      const text = await res.text();
      if (!res.ok) throw new Error(`ClickHouse: ${text}`);
      return text;
    },
  };
  await server.start();
  return server;
}

// Resolves once `node` (a trackly node with `--store clickhouse`) has shipped every write it
// acknowledged to ClickHouse: its health shows no record waiting in the spool (docs/scale-out.md
// "The spool"). Only then can a read through the node see them.
export async function waitForSpoolShipped(node, key, timeoutMs = 120_000) {
  await waitFor(`the spool of ${node.url} to ship`, async () => {
    const { status, json, body } = await getJson(node, '/api/v1/health', key);
    if (status !== 200) return body;
    return json.spool.records_waiting === 0 ? true : json.spool;
  }, timeoutMs);
}
