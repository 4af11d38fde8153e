// npm run bench:pg-data-path [-- --days N]: the PostgreSQL data path next to SQLite's on the same
// synthetic readings (one site, 20 metrics, one-minute readings; 35 days ≈ 1 M readings):
// bytes a reading on disk with indexes and roll-ups, ingestion through the repository against a
// bare multi-row INSERT of the same batches, and a site's latest values against a plain SELECT.
// Needs TEST_DATABASE_URL (a database it may create a schema in); results on standard output.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/client.js';
import { openPgDatabase } from '../src/db/postgres/client.js';
import { pgDevicesRepository } from '../src/db/postgres/repositories/devices.js';
import { pgMetricsRepository } from '../src/db/postgres/repositories/metrics.js';
import { pgReadingsRepository } from '../src/db/postgres/repositories/readings.js';
import { createRepositories, type Repositories } from '../src/db/repositories/index.js';
import { createFleet, writeReadings } from '../src/seed/synthetic.js';

const url = process.env.TEST_DATABASE_URL;
if (!url) throw new Error('Set TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test');
const daysArg = process.argv.indexOf('--days');
const days = daysArg > 0 ? Number(process.argv[daysArg + 1]) : 35;
const DAY = 86_400_000;
const to = Math.floor(Date.UTC(2026, 5, 1) / 60_000) * 60_000;
const from = to - days * DAY;
const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
const log = (m: string) => console.error(`[pg-data-path] ${m}`);

/** Calls per second of `fn` over about `ms`. */
async function rate(fn: () => Promise<unknown>, ms = 3000): Promise<number> {
  for (let i = 0; i < 50; i++) await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await fn();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function onPostgres() {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const db = await openPgDatabase({ url: url!, poolSize: 4, statementTimeoutMs: 0, schema });
  const q = db.$client;
  try {
    // Sites written directly: the fleet needs only their rows here.
    const sites = {
      async create(input: { name: string; timezone: string; latitude: number; longitude: number }) {
        const id = `site_${randomBytes(6).toString('hex')}`;
        await q.query(
          `INSERT INTO sites (id, name, description, latitude, longitude, timezone, created_at, updated_at)
           VALUES ($1, $2, '', $3, $4, $5, 0, 0)`,
          [id, input.name, input.latitude, input.longitude, input.timezone],
        );
        return { id };
      },
    };
    const repos = {
      sites,
      devices: pgDevicesRepository(db),
      metrics: pgMetricsRepository(db),
      readings: pgReadingsRepository(db),
    } as unknown as Repositories;
    const [site] = await createFleet(repos, { sites: 1, devicesPerSite: 9 });
    // The same batches into a bare table with the same key: PostgreSQL's own multi-row insert.
    await q.query(
      `CREATE TABLE bare_readings (metric_pk integer NOT NULL, ts bigint NOT NULL, value double precision NOT NULL,
         PRIMARY KEY (metric_pk, ts))`,
    );
    const bare = {
      readings: {
        async ingest(rows: { metricPk: number; ts: number; value: number }[]) {
          await q.query(
            `INSERT INTO bare_readings SELECT * FROM unnest($1::int4[], $2::int8[], $3::float8[]) ON CONFLICT DO NOTHING`,
            [rows.map((r) => r.metricPk), rows.map((r) => r.ts), rows.map((r) => r.value)],
          );
          return rows.length;
        },
      },
    } as unknown as Repositories;
    // Warm both paths (partitions, plans) on the first day, then time the rest, interleaved by halves.
    const timed = async (r: Repositories, a: number, b: number) => {
      const t0 = performance.now();
      const n = await writeReadings(r, site.devices, { from: a, to: b, stepMs: 60_000, batchSize: 20_000 });
      return { n, s: (performance.now() - t0) / 1000 };
    };
    await timed(repos, from, from + DAY);
    await timed(bare, from, from + DAY);
    const mid = from + DAY + Math.floor((days - 1) / 2) * DAY;
    const ours = [await timed(repos, from + DAY, mid), await timed(repos, mid, to)];
    const base = [await timed(bare, from + DAY, mid), await timed(bare, mid, to)];
    const ingestRate = (xs: { n: number; s: number }[]) =>
      xs.reduce((a, x) => a + x.n, 0) / xs.reduce((a, x) => a + x.s, 0);
    while ((await repos.readings.foldPendingDailies(10_000)) > 0);
    await q.query('VACUUM ANALYZE');
    const size = async (where: string) =>
      (
        await q.query<{ bytes: number; heap: number }>(
          `SELECT sum(pg_total_relation_size(c.oid))::int8 AS bytes, sum(pg_relation_size(c.oid))::int8 AS heap
             FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND ${where}`,
        )
      ).rows[0];
    const readings = Number((await q.query<{ n: number }>('SELECT count(*)::int8 AS n FROM readings')).rows[0].n);
    const raw = await size("c.relname LIKE 'readings\\_p%'");
    const hourly = await size("c.relname = 'rollups_1h'");
    const daily = await size("c.relname IN ('rollups_1d', 'rollups_1d_pending')");
    const bareSize = await size("c.relname = 'bare_readings'");
    const metricRows = await q.query<{ pk: number }>('SELECT pk FROM metrics WHERE site_id = $1', [site.id]);
    const latestOurs = await rate(() => repos.metrics.listBySite(site.id));
    const latestPlain = await rate(() =>
      q.query('SELECT pk, latest_ts, latest_value, latest_received_at FROM metrics WHERE site_id = $1', [site.id]),
    );
    return {
      readings,
      bytes: { raw, hourly, daily, bare: bareSize },
      ingest: { ours: ingestRate(ours), bare: ingestRate(base) },
      latest: { ours: latestOurs, plain: latestPlain, metrics: metricRows.rowCount },
    };
  } finally {
    await q.end();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA "${schema}" CASCADE`);
    await c.end();
  }
}

async function onSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'sitewatt-pgdp-'));
  try {
    const db = openDatabase(join(dir, 'bench.db'));
    const repos = createRepositories(db);
    const [site] = await createFleet(repos, { sites: 1, devicesPerSite: 9 });
    const t0 = performance.now();
    const n = await writeReadings(repos, site.devices, { from, to, stepMs: 60_000, batchSize: 20_000 });
    const s = (performance.now() - t0) / 1000;
    while ((await repos.readings.foldPendingDailies(10_000)) > 0);
    const c = db.$client;
    c.pragma('wal_checkpoint(TRUNCATE)');
    c.exec('VACUUM');
    const bytesOf = (names: string[]) =>
      (
        c
          .prepare(`SELECT coalesce(sum(pgsize), 0) AS b FROM dbstat WHERE name IN (${names.map(() => '?').join(',')})`)
          .get(...names) as { b: number }
      ).b;
    const out = {
      readings: n,
      raw: bytesOf(['readings']),
      hourly: bytesOf(['rollups_1h']),
      daily: bytesOf(['rollups_1d', 'rollups_1d_pending']),
      file: (c.pragma('page_count', { simple: true }) as number) * (c.pragma('page_size', { simple: true }) as number),
      ingest: n / s,
    };
    c.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

log(`PostgreSQL: ${days} days × 20 metrics`);
const p = await onPostgres();
log('SQLite: the same readings');
const s = await onSqlite();
const per = (b: number) => fmt(b / p.readings, 1);
const sper = (b: number) => fmt(b / s.readings, 1);
const pgTotal = p.bytes.raw.bytes + p.bytes.hourly.bytes + p.bytes.daily.bytes;
console.log(`| | PostgreSQL 15 | SQLite |
|---|---|---|
| readings stored | ${fmt(p.readings)} | ${fmt(s.readings)} |
| raw readings, table + key index, B/reading | ${per(p.bytes.raw.bytes)} (heap ${per(p.bytes.raw.heap)}) | ${sper(s.raw)} |
| hourly roll-ups, B/reading | ${per(p.bytes.hourly.bytes)} | ${sper(s.hourly)} |
| daily roll-ups, B/reading | ${per(p.bytes.daily.bytes)} | ${sper(s.daily)} |
| total, B/reading | ${per(pgTotal)} | ${sper(s.raw + s.hourly + s.daily)} (whole file ${sper(s.file)}) |
| ingest through the repository (roll-ups, latest values), readings/s | ${fmt(p.ingest.ours)} | ${fmt(s.ingest)} |
| baseline: bare multi-row INSERT of the same batches, readings/s | ${fmt(p.ingest.bare)} (ratio ${fmt(p.ingest.ours / p.ingest.bare, 2)}) | — |
| a site's ${p.latest.metrics} latest values, repository calls/s | ${fmt(p.latest.ours)} | — |
| baseline: plain SELECT of those latest values, calls/s | ${fmt(p.latest.plain)} (ratio ${fmt(p.latest.ours / p.latest.plain, 2)}) | — |`);
