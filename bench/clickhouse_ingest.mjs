// Ingest through one trackly node into ClickHouse (docs/benchmarks.md "Ingest into ClickHouse"),
// side by side with ClickHouse's own insert rate of the same rows. Starts Debian's
// clickhouse-server on loopback with a fresh data directory (tests/e2e/clickhouse.mjs) and a
// trackly node with --store clickhouse, then for each run:
//   1. bench/ingest_load sends OTLP for --duration-s: the acknowledged spans/s (acks follow the
//      spool's fsync, not ClickHouse);
//   2. waits until the spool has shipped everything: spans stored per second from the first
//      request until ClickHouse has all of them (what the node sustains into ClickHouse);
//   3. bare insert: the observation rows trackly wrote (up to kBareRows of them) are read back as
//      RowBinary and posted again as one INSERT into an empty copy of the table: the rate
//      ClickHouse itself takes these rows at over HTTP on this machine.
// Prints each run and the medians.
//
//   TRACKLY_BINARY=build/trackly node bench/clickhouse_ingest.mjs [--runs 3] [--duration-s 10] [--connections 8]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createKey, removeDir, startServer, tempDataDir } from '../tests/e2e/harness.mjs';
import { clickhouseInstalled, startClickHouse } from '../tests/e2e/clickhouse.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = option('runs', 3);
const durationS = option('duration-s', 10);
const connections = option('connections', 8);
const loadBinary = new URL('../build/bench/ingest_load', import.meta.url).pathname;
// The bare insert posts at most this many rows at once (about 500 MB of RowBinary), so the
// request stays within what the test server's memory takes.
const kBareRows = 200_000;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (!clickhouseInstalled()) {
  console.error('clickhouse-server is not installed (apt-get install clickhouse-server)');
  process.exit(2);
}

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
const results = [];
try {
  for (let run = 1; run <= runs; ++run) {
    const dataDir = join(dir, `data-${run}`);
    const database = `bench${run}`;
    const key = createKey(dataDir, { project: 'bench', scopes: 'ingest,read' });
    const node = await startServer(dataDir, ['--store', 'clickhouse', '--clickhouse-url', clickhouse.url,
      '--clickhouse-database', database, '--node-id', `bench-${run}`]);
    try {
      const started = performance.now();
      const out = execFileSync(loadBinary, ['--url', node.url, '--key', key.key, '--format', 'protobuf',
        '--connections', String(connections), '--spans-per-batch', '100', '--duration-s', String(durationS),
        '--server-pid', String(node.pid)], { encoding: 'utf8' });
      const acked = Number(/spans_per_s=([\d.]+)/.exec(out)?.[1] ?? NaN);
      let h = await health(node);
      while (h.spool.records_waiting > 0) {
        await new Promise((r) => setTimeout(r, 100));
        h = await health(node);
      }
      const shippedSeconds = (performance.now() - started) / 1000;
      const stored = Number(await clickhouse.query(`SELECT uniqExact(project, trace_id, id) FROM ${database}.observations`));
      const observations = await bareInsertRate(clickhouse, database, 'observations');
      const result = { run, acked, stored, intoClickHouse: stored / shippedSeconds, bare: observations.perSecond };
      results.push(result);
      console.log(`run ${run}: acknowledged ${acked.toFixed(0)} spans/s; ${stored} spans in ClickHouse after ` +
        `${shippedSeconds.toFixed(1)} s = ${result.intoClickHouse.toFixed(0)} spans/s; bare INSERT of the same ` +
        `${observations.rows} observation rows (${(observations.bytes / 1e6).toFixed(1)} MB RowBinary): ` +
        `${observations.perSecond.toFixed(0)} rows/s; ratio ${(result.intoClickHouse / observations.perSecond).toFixed(2)}`);
      console.log(out.trim().split('\n').map((l) => `    ${l}`).join('\n'));
    } finally {
      await node.stop();
    }
  }
  const m = (field) => median(results.map((r) => r[field]));
  console.log(`median of ${runs}: acknowledged ${m('acked').toFixed(0)} spans/s, into ClickHouse ` +
    `${m('intoClickHouse').toFixed(0)} spans/s, bare insert ${m('bare').toFixed(0)} rows/s, ratio ` +
    `${(m('intoClickHouse') / m('bare')).toFixed(2)}`);
} finally {
  await clickhouse.stop();
  removeDir(dir);
}
