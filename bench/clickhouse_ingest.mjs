// Ingest through one trackly node into ClickHouse (docs/benchmarks.md "Ingest into ClickHouse"),
// side by side with ClickHouse's own insert rate of the same rows. Starts Debian's
// clickhouse-server on loopback with a fresh data directory (tests/e2e/clickhouse.mjs) and a
// trackly node with --store clickhouse, then for each run:
//   1. bench/ingest_load sends OTLP for --duration-s: the acknowledged spans/s (acks follow the
//      spool's fsync, not ClickHouse);
//   2. waits until the spool has shipped everything: spans stored per second from the first
//      request until ClickHouse has all of them (what the node sustains into ClickHouse; it cannot
//      exceed the acknowledged rate), and the drain rate: spans stored per second after the load
//      stopped (shipping alone, with no ingest competing for the CPU);
//   3. bare insert: the observation rows trackly wrote (up to kBareRows of them) are read back as
//      RowBinary and posted again as one INSERT into an empty copy of the table: the rate
//      ClickHouse itself takes these rows at over HTTP on this machine.
// Prints each run and the medians, with the CPU seconds (per 100k spans stored) trackly and clickhouse-server used from
// the first request until the spool was empty, and trackly's in the drain alone (from /proc).
//
// ingest_load's visibility probe (GET /api/v1/traces/{id} of a probe trace, in a loop without
// pause until it is found) is off unless --probe-visibility: against ClickHouse each GET is a
// query, and during the ship lag the loop kept one ClickHouse core busy with them (1,300 queries,
// 12 s of query time in a 25 s run), which is read load this bench does not mean to measure. The
// key then has the ingest scope only: the probe's GETs are refused before they reach the store
// (1,000 quick 403s), and the probe gives up.
//
//   TRACKLY_BINARY=build/trackly node bench/clickhouse_ingest.mjs [--runs 3] [--duration-s 10] [--connections 8]
//       [--probe-visibility]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BINARY, createKey, removeDir, startServer, tempDataDir } from '../tests/e2e/harness.mjs';
import { clickhouseInstalled, startClickHouse } from '../tests/e2e/clickhouse.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = option('runs', 3);
const durationS = option('duration-s', 10);
const connections = option('connections', 8);
const probeVisibility = args.includes('--probe-visibility');
// bench/ingest_load of the same build directory as the trackly binary under test.
const loadBinary = join(dirname(BINARY), 'bench', 'ingest_load');
// The bare insert posts at most this many rows at once (about 500 MB of RowBinary), so the
// request stays within what the test server's memory takes.
const kBareRows = 200_000;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (!clickhouseInstalled()) {
  console.error('clickhouse-server is not installed (apt-get install clickhouse-server)');
  process.exit(2);
}

// CPU seconds (user + system) process `pid` has used so far, all threads.
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime in clock ticks (USER_HZ = 100)
}

// The pid of the clickhouse-server whose command line names a file under `dir`.
function clickhousePid(dir) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('clickhouse-server') && cmdline.includes(dir)) return Number(entry);
    } catch { /* exited meanwhile */ }
  }
  throw new Error(`no clickhouse-server running from ${dir}`);
}

// Runs `fn` again (up to 3 times in all) when it failed on a socket the server had closed: fetch
// reuses pooled keep-alive connections, and clickhouse-server closes idle ones after a few seconds.
// Every `fn` here is safe to repeat (reads, or a bare insert that recreates its table first).
async function retryClosedSocket(fn) {
  for (let attempt = 1; ; ++attempt) {
    try {
      return await fn();
    } catch (error) {
      const code = error?.cause?.code;
      if (attempt === 3 || !['UND_ERR_SOCKET', 'EPIPE', 'ECONNRESET'].includes(code)) throw error;
    }
  }
}
const chQuery = (sql) => retryClosedSocket(() => clickhouse.query(sql));

async function health(node) {
  return (await fetch(`${node.url}/api/v1/health`)).json();
}

async function bareInsertRate(clickhouse, database, table) {
  await clickhouse.query(`DROP TABLE IF EXISTS ${database}.bare_${table}`);
  await clickhouse.query(`CREATE TABLE ${database}.bare_${table} AS ${database}.${table}`);
  const res = await fetch(`${clickhouse.url}/?database=${database}`, {
    method: 'POST', body: `SELECT * FROM ${table} LIMIT ${kBareRows} FORMAT RowBinary`,
  });
  if (!res.ok) throw new Error(`reading ${table} back: ${await res.text()}`);
  const rows = Buffer.from(await res.arrayBuffer());
  const count = Number(await clickhouse.query(`SELECT count() FROM (SELECT 1 FROM ${database}.${table} LIMIT ${kBareRows})`));
  const started = performance.now();
  const insert = await fetch(
    `${clickhouse.url}/?database=${database}&query=${encodeURIComponent(`INSERT INTO bare_${table} FORMAT RowBinary`)}`,
    { method: 'POST', body: rows });
  if (!insert.ok) throw new Error(await insert.text());
  const seconds = (performance.now() - started) / 1000;
  await clickhouse.query(`DROP TABLE ${database}.bare_${table}`);
  return { rows: count, bytes: rows.length, perSecond: count / seconds };
}

const dir = tempDataDir();
const clickhouse = await startClickHouse(join(dir, 'clickhouse'));
const clickhouseProcess = clickhousePid(join(dir, 'clickhouse'));
const results = [];
try {
  for (let run = 1; run <= runs; ++run) {
    const dataDir = join(dir, `data-${run}`);
    const database = `bench${run}`;
    const key = createKey(dataDir, { project: 'bench', scopes: probeVisibility ? 'ingest,read' : 'ingest' });
    const node = await startServer(dataDir, ['--store', 'clickhouse', '--clickhouse-url', clickhouse.url,
      '--clickhouse-database', database, '--node-id', `bench-${run}`]);
    try {
      const cpuBefore = { trackly: cpuSeconds(node.pid), clickhouse: cpuSeconds(clickhouseProcess) };
      const started = performance.now();
      const out = execFileSync(loadBinary, ['--url', node.url, '--key', key.key, '--format', 'protobuf',
        '--connections', String(connections), '--spans-per-batch', '100', '--duration-s', String(durationS),
        '--server-pid', String(node.pid)], { encoding: 'utf8' });
      const acked = Number(/spans_per_s=([\d.]+)/.exec(out)?.[1] ?? NaN);
      // count() of a MergeTree is read from part metadata: nothing for the server to scan.
      const storedAtLoadEnd = Number(await chQuery(`SELECT count() FROM ${database}.observations`));
      const loadEnded = performance.now();
      const tracklyCpuAtLoadEnd = cpuSeconds(node.pid);
      let h = await health(node);
      while (h.spool.records_waiting > 0) {
        await new Promise((r) => setTimeout(r, 100));
        h = await health(node);
      }
      const emptied = performance.now();
      const cpu = { trackly: cpuSeconds(node.pid) - cpuBefore.trackly,
        clickhouse: cpuSeconds(clickhouseProcess) - cpuBefore.clickhouse };
      const shippedSeconds = (emptied - started) / 1000;
      const stored = Number(await chQuery(`SELECT uniqExact(project, trace_id, id) FROM ${database}.observations`));
      const drain = (stored - storedAtLoadEnd) / ((emptied - loadEnded) / 1000);
      // Shipping alone: trackly's CPU from the end of the load until the spool was empty, per span stored then.
      const drainTracklyCpu = (cpu.trackly - (tracklyCpuAtLoadEnd - cpuBefore.trackly)) / (stored - storedAtLoadEnd) * 1e5;
      const observations = await retryClosedSocket(() => bareInsertRate(clickhouse, database, 'observations'));
      const result = { run, acked, stored, intoClickHouse: stored / shippedSeconds, drain, bare: observations.perSecond,
        tracklyCpu: cpu.trackly / stored * 1e5, clickhouseCpu: cpu.clickhouse / stored * 1e5, drainTracklyCpu };
      results.push(result);
      console.log(`run ${run}: acknowledged ${acked.toFixed(0)} spans/s; ${stored} spans in ClickHouse after ` +
        `${shippedSeconds.toFixed(1)} s = ${result.intoClickHouse.toFixed(0)} spans/s (drain after the load: ` +
        `${drain.toFixed(0)} spans/s); bare INSERT of the same ` +
        `${observations.rows} observation rows (${(observations.bytes / 1e6).toFixed(1)} MB RowBinary): ` +
        `${observations.perSecond.toFixed(0)} rows/s; ratio ${(result.intoClickHouse / observations.perSecond).toFixed(2)} ` +
        `(drain ${(drain / observations.perSecond).toFixed(2)}); CPU s per 100k spans: trackly ` +
        `${result.tracklyCpu.toFixed(2)} (shipping alone, in the drain: ${drainTracklyCpu.toFixed(2)}), clickhouse-server ` +
        `${result.clickhouseCpu.toFixed(2)}`);
      console.log(out.trim().split('\n').map((l) => `    ${l}`).join('\n'));
    } finally {
      await node.stop();
    }
  }
  const m = (field) => median(results.map((r) => r[field]));
  console.log(`median of ${runs}: acknowledged ${m('acked').toFixed(0)} spans/s, into ClickHouse ` +
    `${m('intoClickHouse').toFixed(0)} spans/s, drain ${m('drain').toFixed(0)} spans/s, bare insert ` +
    `${m('bare').toFixed(0)} rows/s, ratio ${(m('intoClickHouse') / m('bare')).toFixed(2)} ` +
    `(drain ${(m('drain') / m('bare')).toFixed(2)}); CPU s per 100k spans: trackly ${m('tracklyCpu').toFixed(2)} ` +
    `(drain ${m('drainTracklyCpu').toFixed(2)}), clickhouse-server ${m('clickhouseCpu').toFixed(2)}`);
} finally {
  await clickhouse.stop();
  removeDir(dir);
}
