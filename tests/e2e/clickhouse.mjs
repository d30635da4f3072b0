// Starts and stops Debian's clickhouse-server for the end-to-end tests of the ClickHouse backend:
// on loopback, on free ports, with its own config and data directory (kept across stop/start, so
// an outage test can bring the same server back), stopped by its process id. Also a cluster of two
// such servers (two shards of one replica each) coordinated by Debian's ZooKeeper.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { getJson, waitFor } from './harness.mjs';

export const CLICKHOUSE_BINARY = process.env.CLICKHOUSE_SERVER ?? '/usr/sbin/clickhouse-server';

export const ZOOKEEPER_JAR = process.env.ZOOKEEPER_JAR ?? '/usr/share/java/zookeeper.jar';

export function clickhouseInstalled() {
  try {
    accessSync(CLICKHOUSE_BINARY, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function zookeeperInstalled() {
  return existsSync(ZOOKEEPER_JAR);
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

// `count` free ports, all different (a port closed by freePort can be handed out again).
async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

// Settings kept small: tests hold little data and the machine is shared. `extra` is more XML
// inside <yandex> (a cluster's settings).
function config(dir, httpPort, tcpPort, extra = '') {
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
${extra}</yandex>
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

// A clickhouse-server in `dir` (created). Resolves to {url, start(), stop(), kill9(), query(sql)}
// once it answers /ping; stop/start keep its data and ports. `httpPort` and `tcpPort` (free ones
// when not given) and `extraConfig` (XML inside <yandex>) are for a server of a cluster.
export async function startClickHouse(dir, { httpPort, tcpPort, extraConfig = '' } = {}) {
  mkdirSync(join(dir, 'data'), { recursive: true });
  if (httpPort === undefined || tcpPort === undefined) [httpPort, tcpPort] = await freePorts(2);
  writeFileSync(join(dir, 'config.xml'), config(dir, httpPort, tcpPort, extraConfig));
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

// Whether the ZooKeeper on `port` serves sessions: its four-letter command "srvr" names its mode.
// Not "ruok": ZooKeeper 3.8 answers it "imok" a few hundred ms before it serves, and a
// clickhouse-server (Debian's 18.16) that finds ZooKeeper not serving when it starts crashes.
function zookeeperServing(port) {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.end('srvr'));
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (d) => { answer += d; });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(/^Mode: /m.test(answer)));
  });
}

// A standalone ZooKeeper in `dir` (created) on `port`. Resolves to {port, stop()} once it serves.
async function startZooKeeper(dir, port) {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'zoo.cfg'), [`tickTime=500`, `dataDir=${dir}/data`, `clientPort=${port}`,
    'admin.enableServer=false', '4lw.commands.whitelist=srvr', ''].join('\n'));
  // What java prints (its own errors: ZooKeeper's log is off without an SLF4J binding on the
  // class path) goes to zookeeper.out, for a failure's message.
  const out = openSync(join(dir, 'zookeeper.out'), 'a');
  const proc = spawn('java', ['-Xmx128m', '-cp', ZOOKEEPER_JAR, `-Dzookeeper.log.dir=${dir}`,
    'org.apache.zookeeper.server.quorum.QuorumPeerMain', join(dir, 'zoo.cfg')], { stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  exited.then(() => { gone = true; });
  const zookeeper = {
    port,
    async stop() {
      if (gone) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !gone) {
    if (await zookeeperServing(port)) return zookeeper;
    await new Promise((r) => setTimeout(r, 100));
  }
  await zookeeper.stop();
  throw new Error(`ZooKeeper on port ${port} ${gone ? 'exited' : 'did not start serving'}:\n${readFileSync(join(dir, 'zookeeper.out'), 'utf8').slice(-2000)}`);
}

// The <remote_servers>, <zookeeper>, <macros>… of server `index` (0-based) of cluster `name`,
// whose shards are the servers on `tcpPorts`, one replica each.
function clusterConfig(name, index, { tcpPorts, interserverPort, zookeeperPort }) {
  const shards = tcpPorts.map((port) => `      <shard><internal_replication>true</internal_replication>` +
    `<replica><host>127.0.0.1</host><port>${port}</port></replica></shard>\n`).join('');
  return `  <interserver_http_port>${interserverPort}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <remote_servers><${name}>
${shards}  </${name}></remote_servers>
  <zookeeper><node><host>127.0.0.1</host><port>${zookeeperPort}</port></node></zookeeper>
  <macros><shard>${String(index + 1).padStart(2, '0')}</shard><replica>r1</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
`;
}

// Resolves once `server`'s distributed DDL worker has its ZooKeeper session (its queue path is
// there), and a moment more: 18.16 crashes on a DDL ON CLUSTER that arrives before (a null session;
// src/store/clickhouse/test_server.h WaitForDdlWorker).
async function waitForDdlWorker(server) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const found = await server.query(
      "SELECT count() FROM system.zookeeper WHERE path = '/clickhouse/task_queue' AND name = 'ddl'").catch(() => '');
    if (found.trim() === '1') {
      await new Promise((r) => setTimeout(r, 500));
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`clickhouse-server ${server.url} did not set up distributed DDL in time`);
}

// A ClickHouse cluster "trackly" of two shards, one replica each: a ZooKeeper and two
// clickhouse-servers under `dir` (created). Resolves to {name, servers: [s0, s1] (as
// startClickHouse's), stop()}; stop() stops both servers, then ZooKeeper.
export async function startClickHouseCluster(dir) {
  const name = 'trackly';
  // Every port is chosen before any config is written: each server names the other's tcp port.
  const [zookeeperPort, ...ports] = await freePorts(1 + 2 * 3);
  const servers = [0, 1].map((i) => ({ httpPort: ports[3 * i], tcpPort: ports[3 * i + 1], interserverPort: ports[3 * i + 2] }));
  const tcpPorts = servers.map((s) => s.tcpPort);
  const zookeeper = await startZooKeeper(join(dir, 'zookeeper'), zookeeperPort);
  const started = await Promise.allSettled(servers.map((s, i) => startClickHouse(join(dir, `clickhouse-${i}`), {
    httpPort: s.httpPort, tcpPort: s.tcpPort,
    extraConfig: clusterConfig(name, i, { tcpPorts, interserverPort: s.interserverPort, zookeeperPort }),
  })));
  const running = started.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const stop = async () => {
    await Promise.all(running.map((s) => s.stop()));
    await zookeeper.stop();
  };
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  try {
    for (const server of running) await waitForDdlWorker(server);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, servers: running, stop };
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

// One trace `traceId` of `spans` spans (a root "run" and steps "step-N") sent as OTLP/JSON
// through `node`'s /v1/traces with the API key `bearer`; resolves to the HTTP status, or 0 when
// the request failed (a node stopping, a timeout).
export async function sendTrace(node, bearer, traceId, spans) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const list = [];
  for (let i = 0; i < spans; ++i) {
    list.push({ traceId, spanId: randomBytes(8).toString('hex'), name: i === 0 ? 'run' : `step-${i}`,
      startTimeUnixNano: String(now + BigInt(i) * 1000n), endTimeUnixNano: String(now + BigInt(i) * 1000n + 500_000n),
      attributes: [{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } }] });
  }
  try {
    const res = await fetch(`${node.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: list }] }] }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
