// Ingestion with one alarm rule per metric against none: the same batches through the readings
// service's write path (no HTTP, so evaluation is the largest share it can be).
// Run: npx tsx bench/alarms-ingest.ts [devices] [batches]; `npm run bench` runs it as rows P13 and P14
// (on PostgreSQL, each app in a schema of its own in the bench's database).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { defaultMetricsFor } from '../src/domain/device-types.js';
import type { Row } from './table.js';

/** quiet: values never reach the threshold (the usual case); flapping: they cross it every few readings. */
const VALUES = {
  quiet: (b: number, i: number) => 20 + ((b + i) % 10),
  flapping: (b: number, i: number) => (b * 7 + i * 13) % 100,
};

async function run(
  devices: number,
  batches: number,
  withRules: boolean,
  values: (b: number, i: number) => number,
  pgUrl: string | null,
) {
  const dir = mkdtempSync(join(tmpdir(), 'sitewatt-alarm-bench-'));
  const schema = `alarm_bench_${randomBytes(4).toString('hex')}`;
  const app = await buildApp(
    testConfig(
      pgUrl
        ? { postgres: { url: pgUrl, poolSize: 4, statementTimeoutMs: 0, schema } }
        : { databasePath: join(dir, 'bench.db') },
    ),
  );
  await app.ready();
  const site = await app.repos.sites.create(
    { name: 'Bench', description: '', latitude: 0, longitude: 0, timezone: 'UTC' },
    null,
  );
  const metrics: { id: string; pk: number }[] = [];
  for (let d = 0; d < devices; d++) {
    const { metrics: ms } = await app.repos.devices.create(
      site.id,
      { name: `Battery ${d}`, type: 'battery', manufacturer: null, model: null, serialNumber: null },
      defaultMetricsFor('battery'),
      null,
    );
    metrics.push(...ms.map((m) => ({ id: m.id, pk: m.pk })));
  }
  if (withRules)
    for (const m of metrics)
      await app.repos.alarms.createRule(
        { siteId: site.id, metricPk: m.pk, deviceType: null, metricKey: null },
        {
          condition: 'above',
          threshold: 50,
          low: null,
          high: null,
          clearThreshold: 40,
          forSeconds: 60,
          noDataMinutes: null,
          severity: 'minor',
          enabled: true,
        },
        null,
      );
  const start = Date.now() - batches * 10_000;
  const write = async (b: number) =>
    app.services.readings.write(
      metrics.map((m, i) => ({
        metricPk: m.pk,
        metricId: m.id,
        ts: start + b * 10_000,
        value: values(b, i),
      })),
      { live: false },
    );
  for (let b = 0; b < 20; b++) await write(b); // warm-up
  const t0 = performance.now();
  for (let b = 20; b < batches; b++) await write(b);
  const seconds = (performance.now() - t0) / 1000;
  const alarms = app.pg
    ? (await app.pg.$client.query<{ n: number }>('SELECT count(*)::int AS n FROM alarms')).rows[0].n
    : app.db.$client.prepare<[], { n: number }>('SELECT count(*) AS n FROM alarms').get()!.n;
  await app.close();
  if (pgUrl) {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`DROP SCHEMA ${schema} CASCADE`).finally(() => c.end());
  }
  rmSync(dir, { recursive: true, force: true });
  return { rate: ((batches - 20) * metrics.length) / seconds, metrics: metrics.length, alarms };
}

/**
 * Ingest rate with 1 rule per metric against none (two runs of each, interleaved), per kind of values;
 * on PostgreSQL when `pgUrl` names a database the bench may make schemas in.
 */
export async function alarmIngestRows(devices: number, batches: number, pgUrl: string | null = null): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [i, [name, values]] of Object.entries(VALUES).entries()) {
    const none = await run(devices, batches, false, values, pgUrl);
    const rules = await run(devices, batches, true, values, pgUrl);
    const none2 = await run(devices, batches, false, values, pgUrl);
    const rules2 = await run(devices, batches, true, values, pgUrl);
    const base = (none.rate + none2.rate) / 2;
    const withRules = (rules.rate + rules2.rate) / 2;
    const ratio = withRules / base;
    rows.push({
      figure: `P1${i + 3}`,
      what: `ingest with 1 alarm rule per metric vs none, ${name} values (${none.metrics} metrics, ${rules.alarms} alarms)`,
      ours: `${Math.round(withRules)} readings/s`,
      baseline: `${Math.round(base)} readings/s`,
      ratio: `${ratio.toFixed(2)}×`,
      goal: '≥ 0.8×',
      pass: ratio >= 0.8,
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await alarmIngestRows(Number(process.argv[2] ?? 50), Number(process.argv[3] ?? 400));
  for (const r of rows) console.log(`${r.figure} ${r.what}: ${r.ours} vs ${r.baseline} (${r.ratio})`);
}
