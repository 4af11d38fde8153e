// The readings path on PostgreSQL, below the app: roll-ups equal the raw readings, also when two
// nodes (two pools) ingest the same metric's hour at once, and retention drops whole partitions.
import { afterEach, describe, expect, it } from 'vitest';
import { rollupOf } from '../../../src/db/rollup-math.js';
import type { PgDb } from '../../../src/db/postgres/client.js';
import { dataRepos, freshSchema, PG_URL, siteWithDevice } from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

async function open(pools = 1) {
  const s = await freshSchema(pools);
  drop = s.drop;
  return s.dbs;
}

/** Every hourly roll-up of the metric next to one rebuilt from its raw readings. */
async function rollupsVsRaw(db: PgDb, pk: number) {
  const stored = await db.$client.query(
    `SELECT start, count, sum, min, max, first, last, first_ts AS "firstTs", last_ts AS "lastTs", delta_in AS "deltaIn"
       FROM rollups_1h WHERE metric_pk = $1 ORDER BY start`,
    [pk],
  );
  const raw = await db.$client.query<{ ts: number; value: number }>(
    'SELECT ts, value FROM readings WHERE metric_pk = $1 ORDER BY ts',
    [pk],
  );
  const byHour = new Map<number, [number, number][]>();
  for (const r of raw.rows) {
    const h = Math.floor(r.ts / HOUR) * HOUR;
    byHour.set(h, [...(byHour.get(h) ?? []), [r.ts, r.value]]);
  }
  const rebuilt = [...byHour].map(([h, rows]) => rollupOf(h, rows));
  return { stored: stored.rows, rebuilt, readings: raw.rows.length };
}

describe.skipIf(!PG_URL)('readings on PostgreSQL', () => {
  it('When readings arrive in order, late and replaced, then each hour’s roll-up equals one built from its raw readings', async () => {
    const [db] = await open();
    const repos = dataRepos(db);
    const { metrics } = await siteWithDevice(db);
    const pk = (await repos.metrics.findById(metrics[0].id))!.pk;
    const t0 = Date.UTC(2026, 0, 31, 22);
    await repos.readings.ingest([0, 1, 2].map((m) => ({ metricPk: pk, ts: t0 + m * 60_000, value: m })));
    await repos.readings.ingest([3, 4].map((m) => ({ metricPk: pk, ts: t0 + m * 60_000, value: m * 10 })));
    // late (before last_ts), replaced, and across a month (partition) and day boundary
    await repos.readings.ingest([
      { metricPk: pk, ts: t0 + 30_000, value: 7 },
      { metricPk: pk, ts: t0 + 60_000, value: 70 },
      { metricPk: pk, ts: t0 + 2 * HOUR + 5, value: 1 },
    ]);
    const { stored, rebuilt } = await rollupsVsRaw(db, pk);
    expect(stored).toEqual(rebuilt);
    const latest = await repos.metrics.findById(metrics[0].id);
    expect(latest).toMatchObject({ latestTs: t0 + 2 * HOUR + 5, latestValue: 1 });
  });

  it('When a window is read raw, hourly and daily, then the answers agree', async () => {
    const [db] = await open();
    const repos = dataRepos(db);
    const { metrics } = await siteWithDevice(db);
    const pk = (await repos.metrics.findById(metrics[0].id))!.pk;
    const day = Date.UTC(2026, 2, 3);
    const rows = Array.from({ length: 48 * 4 }, (_, i) => ({ metricPk: pk, ts: day + i * 15 * 60_000, value: i % 7 }));
    await repos.readings.ingest(rows);
    await repos.readings.buildPendingDailies();
    const starts = [day, day + DAY];
    const w = { starts, end: day + 2 * DAY, interval: '1d' as const, tz: 'UTC' };
    const sum = (from: number) =>
      rows.filter((r) => r.ts >= from && r.ts < from + DAY).reduce((a, r) => a + r.value, 0);
    expect(await repos.readings.series(pk, w, 'sum')).toEqual([sum(day), sum(day + DAY)]);
    expect(await repos.readings.dailyPerBucket(pk, 'UTC', [...starts, w.end], 'sum')).toEqual([
      sum(day),
      sum(day + DAY),
    ]);
    expect(await repos.readings.rollupPerBucket(pk, [...starts, w.end], 'count')).toEqual([96, 96]);
    const hourly = { starts: [day, day + HOUR], end: day + 2 * HOUR, interval: '1h' as const, tz: 'UTC' };
    expect(await repos.readings.series(pk, hourly, 'max')).toEqual([3, 6]);
    const quarter = { starts: [day, day + 15 * 60_000], end: day + 30 * 60_000, interval: '15m' as const, tz: 'UTC' };
    expect(await repos.readings.series(pk, quarter, 'last')).toEqual([0, 1]);
    expect(
      await repos.readings.series(pk, { ...quarter, starts: [day + 15 * 60_000], end: day + 30 * 60_000 }, 'delta'),
    ).toEqual([1]);
  });

  it('When raw readings are older than the retention, then whole partitions go and the hourly roll-ups stay', async () => {
    const [db] = await open();
    const repos = dataRepos(db);
    const { metrics } = await siteWithDevice(db);
    const pk = (await repos.metrics.findById(metrics[0].id))!.pk;
    const jan = Date.UTC(2026, 0, 10);
    const mar = Date.UTC(2026, 2, 10);
    await repos.readings.ingest([
      { metricPk: pk, ts: jan, value: 1 },
      { metricPk: pk, ts: jan + 60_000, value: 3 },
      { metricPk: pk, ts: mar, value: 5 },
      { metricPk: pk, ts: mar + DAY, value: 7 },
    ]);
    expect(await repos.readings.deleteBefore(mar + HOUR)).toBe(3);
    const parts = await db.$client.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass",
    );
    expect(parts.rows.map((p) => p.name)).not.toContain('readings_p202601');
    const { stored, readings } = await rollupsVsRaw(db, pk);
    expect(readings).toBe(1);
    expect(stored).toHaveLength(3);
    // a later reading for the dropped month makes its partition again
    await repos.readings.ingest([{ metricPk: pk, ts: jan + 2 * DAY, value: 2 }]);
    expect((await rollupsVsRaw(db, pk)).readings).toBe(2);
  });
});
