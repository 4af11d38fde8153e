// Daily roll-ups (rollups_1d) must give exactly what the hourly roll-ups give, whatever order the
// readings came in, across DST days, after a change of zone and after a rebuild. Each answer is
// compared with the same request while the site's daily roll-ups are marked incomplete, which
// sends it to the hourly path (itself checked against a naive computation in timeseries.test.ts).
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { AGGREGATIONS } from '../../../src/timeseries/aggregate.js';
import { buildTestApp, createDevice, createSite, createWorld, injectAs, sharedDatabase } from '../../helpers/app.js';
import { metricPk, sqlOf } from '../../helpers/sql.js';
import type { World } from './support.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

async function ingest(readings: { metricId: string; timestamp: string; value: number }[]) {
  const res = await injectAs(app, w.admin, { method: 'POST', url: '/api/readings', payload: { readings } });
  expect(res.statusCode, res.body).toBe(200);
}

async function values(metricId: string, query: string): Promise<(number | null)[]> {
  const res = await injectAs(app, w.admin, { method: 'GET', url: `/api/metrics/${metricId}/timeseries?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { series: { values: (number | null)[] }[] }).series[0].values;
}

const sql = () => sqlOf(app);
const dailyRows = (pk: number) => sql().value<number>('SELECT count(*) FROM rollups_1d WHERE metric_pk = ?', pk);
const pendingRows = (pk: number) =>
  sql().value<number>('SELECT count(*) FROM rollups_1d_pending WHERE metric_pk = ?', pk);
const dailyTz = (siteId: string) => sql().value<string | null>('SELECT daily_tz FROM sites WHERE id = ?', siteId);

/** The same request answered from the hourly roll-ups: the site's daily ones marked incomplete meanwhile. */
async function viaHourly(siteId: string, metricId: string, query: string) {
  const tz = await dailyTz(siteId);
  await sql().run('UPDATE sites SET daily_tz = NULL WHERE id = ?', siteId);
  try {
    return await values(metricId, query);
  } finally {
    await sql().run('UPDATE sites SET daily_tz = ? WHERE id = ?', tz, siteId);
  }
}

/**
 * Every aggregation by day, week and month in `tz` equals the hourly path's answer. A day adds the
 * same hourly roll-ups in the same order, so it is exact; a week or month adds days instead of
 * hours, and a floating-point sum grouped differently may differ in its last bits.
 */
async function expectSameAsHourly(siteId: string, metricId: string, from: number, to: number, tz: string) {
  for (const interval of ['1d', '1w', '1mo']) {
    for (const agg of AGGREGATIONS) {
      const q = `from=${iso(from)}&to=${iso(to)}&interval=${interval}&agg=${agg}&tz=${encodeURIComponent(tz)}`;
      const [daily, hourly] = [await values(metricId, q), await viaHourly(siteId, metricId, q)];
      if (interval === '1d') expect(daily, `${interval} ${agg}`).toEqual(hourly);
      else {
        expect(
          daily.map((v) => v === null),
          `${interval} ${agg}`,
        ).toEqual(hourly.map((v) => v === null));
        daily.forEach((v, i) => v !== null && expect(v, `${interval} ${agg} [${i}]`).toBeCloseTo(hourly[i]!, 6));
      }
    }
  }
}

describe('Daily roll-ups', () => {
  it('When random readings around the spring DST change arrive in random batches (late ones included), then day, week and month buckets equal the hourly path', async () => {
    const T0 = Date.parse('2026-03-25T00:00:00Z');
    // Values with two decimals, as meters send them: sums of them are not exact in binary.
    const reading = fc.tuple(
      fc.integer({ min: 0, max: 9 * 24 * 60 - 1 }),
      fc.integer({ min: -5000, max: 100_000 }).map((v) => v / 100),
      fc.integer({ min: 1, max: 4 }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(reading, { minLength: 1, maxLength: 150, selector: ([m]) => m }), async (raw) => {
        const { metrics } = await createDevice(app, w.site.id, { name: `Daily ${++run}`, type: 'meter' });
        const [metric] = metrics;
        const pk = await metricPk(app, metric.id);
        // Batch b of each reading is random, so later batches bring readings older than earlier ones.
        // Days are folded between batches (as the periodic fold does), except after the last one.
        for (let b = 1; b <= 4; b++) {
          const batch = raw
            .filter(([, , k]) => k === b)
            .map(([m, v]) => ({ metricId: metric.id, timestamp: iso(T0 + m * MINUTE), value: v }));
          if (batch.length > 0) await ingest(batch);
          if (b < 4) await app.repos.readings.foldPendingDailies();
        }
        // Ingestion lists the days it changed; the first read of the metric's days folds them.
        if (raw.some(([, , k]) => k === 4)) expect(await pendingRows(pk)).toBeGreaterThan(0);
        await expectSameAsHourly(w.site.id, metric.id, T0 - 2 * 86_400_000, T0 + 12 * 86_400_000, 'Europe/Berlin');
        expect(await pendingRows(pk)).toBe(0);
        expect(await dailyRows(pk)).toBeGreaterThan(0);
      }),
      { numRuns: 12 },
    );
  }, 120_000);

  it('When the site changes its time zone, then its daily roll-ups are refolded on the new local days', async () => {
    const { metrics } = await createDevice(app, w.site.id, { type: 'meter' });
    const T0 = Date.parse('2026-01-10T00:00:00Z');
    await ingest(
      Array.from({ length: 3 * 24 * 4 }, (_, i) => ({
        metricId: metrics[0].id,
        timestamp: iso(T0 + i * 15 * MINUTE),
        value: i % 97,
      })),
    );
    const res = await injectAs(app, w.admin, {
      method: 'PATCH',
      url: `/api/sites/${w.site.id}`,
      payload: { timezone: 'America/New_York' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await dailyTz(w.site.id)).toBe('America/New_York');
    // New York's first local day starts at 05:00 UTC: a day bucket there holds 24 of the site's hours.
    const q = `from=${iso(T0)}&to=${iso(T0 + 3 * 86_400_000)}&interval=1d&agg=count&tz=America/New_York`;
    expect(await values(metrics[0].id, q)).toEqual([20, 96, 96, 76]);
    await expectSameAsHourly(w.site.id, metrics[0].id, T0, T0 + 3 * 86_400_000, 'America/New_York');
    // The old zone's days are not used for it any more: Berlin now goes to the hourly path, and agrees.
    await expectSameAsHourly(w.site.id, metrics[0].id, T0, T0 + 3 * 86_400_000, 'Europe/Berlin');
  });

  it('When a database has no daily roll-ups yet, then charts read the hourly ones and the start-up build brings them back', async () => {
    const { metrics } = await createDevice(app, w.site.id, { type: 'meter' });
    const T0 = Date.parse('2026-03-27T00:00:00Z');
    await ingest(
      Array.from({ length: 5 * 24 }, (_, i) => ({
        metricId: metrics[0].id,
        timestamp: iso(T0 + i * 60 * MINUTE + 7 * MINUTE),
        value: (i * 37) % 101,
      })),
    );
    const q = `from=${iso(T0)}&to=${iso(T0 + 5 * 86_400_000)}&interval=1d&agg=sum&tz=Europe/Berlin`;
    const before = await values(metrics[0].id, q);
    // As a database migrated from before daily roll-ups: none, and the zone unknown.
    await sql().exec('DELETE FROM rollups_1d; UPDATE sites SET daily_tz = NULL');
    expect(await values(metrics[0].id, q)).toEqual(before);
    expect(await app.repos.readings.buildPendingDailies()).toBeGreaterThanOrEqual(2);
    expect(await dailyTz(w.site.id)).toBe('Europe/Berlin');
    const pk = await metricPk(app, metrics[0].id);
    expect(await dailyRows(pk)).toBe(6);
    expect(await values(metrics[0].id, q)).toEqual(before);
    expect(await app.repos.readings.buildPendingDailies()).toBe(0);
    // And the answers really come from them: a day's roll-up changed by hand shows, in its day and its week.
    const week = `from=${iso(T0)}&to=${iso(T0 + 5 * 86_400_000)}&interval=1w&agg=sum&tz=Europe/Berlin`;
    const weekBefore = await values(metrics[0].id, week);
    await sql().run(
      'UPDATE rollups_1d SET sum = sum + 1000 WHERE metric_pk = ? AND start = ?',
      pk,
      Date.parse('2026-03-27T23:00:00Z'),
    );
    expect(await values(metrics[0].id, q)).toEqual(before.map((v, i) => (i === 1 ? (v ?? 0) + 1000 : v)));
    expect(await values(metrics[0].id, week)).toEqual([weekBefore[0]! + 1000, weekBefore[1]]);
  });

  it('When days wait to be folded, then the periodic fold folds them (a bounded number at a time) and they answer like the hourly path', async () => {
    const { metrics } = await createDevice(app, w.site.id, { type: 'meter' });
    const T0 = Date.parse('2026-02-01T00:00:00Z');
    await ingest(
      Array.from({ length: 10 * 24 }, (_, i) => ({
        metricId: metrics[0].id,
        timestamp: iso(T0 + i * 60 * MINUTE),
        value: i % 13,
      })),
    );
    const pk = await metricPk(app, metrics[0].id);
    expect(await pendingRows(pk)).toBe(11);
    expect(await app.repos.readings.foldPendingDailies(4)).toBe(4);
    expect(await pendingRows(pk)).toBe(7);
    expect(await app.repos.readings.foldPendingDailies()).toBe(7);
    expect([await pendingRows(pk), await dailyRows(pk)]).toEqual([0, 11]);
    await expectSameAsHourly(w.site.id, metrics[0].id, T0, T0 + 10 * 86_400_000, 'Europe/Berlin');
  });

  it('When the server folds every few milliseconds, then listed days get folded without anyone reading them', async () => {
    await app.close();
    app = await buildTestApp({ dailyFoldMs: 20 });
    w = await createWorld(app);
    const { metrics } = await createDevice(app, w.site.id, { type: 'meter' });
    await ingest([{ metricId: metrics[0].id, timestamp: '2026-02-01T12:00:00Z', value: 1.5 }]);
    const pk = await metricPk(app, metrics[0].id);
    await expect
      .poll(async () => [await pendingRows(pk), await dailyRows(pk)], { timeout: 2_000, interval: 10 })
      .toEqual([0, 1]);
  });

  it('When a database from before daily roll-ups is opened, then the server builds them in the background', async () => {
    const database = await sharedDatabase();
    try {
      await app.close();
      app = await buildTestApp(database.overrides);
      w = await createWorld(app);
      const { metrics } = await createDevice(app, w.site.id, { type: 'meter' });
      await ingest(
        Array.from({ length: 48 }, (_, i) => ({
          metricId: metrics[0].id,
          timestamp: iso(Date.parse('2026-02-01T00:00:00Z') + i * 60 * MINUTE),
          value: i,
        })),
      );
      await app.close();
      await database.exec('DELETE FROM rollups_1d; DELETE FROM rollups_1d_pending; UPDATE sites SET daily_tz = NULL');
      app = await buildTestApp(database.overrides);
      await expect.poll(() => dailyTz(w.site.id), { timeout: 2_000, interval: 10 }).toBe('Europe/Berlin');
      const pk = await metricPk(app, metrics[0].id);
      expect(await dailyRows(pk)).toBe(3);
    } finally {
      await app.close();
      database.close();
      app = await buildTestApp(); // afterEach closes it
    }
  });

  it('When the daily roll-ups hold another zone than the one asked, then the repository says so and the hourly ones answer', async () => {
    const { metrics } = await createDevice(app, w.site.id, { type: 'meter' });
    const pk = await metricPk(app, metrics[0].id);
    const edges = [Date.parse('2026-02-01T05:00:00Z'), Date.parse('2026-02-02T05:00:00Z')];
    expect(await app.repos.readings.dailyPerBucket(pk, 'America/New_York', edges, 'sum')).toBeNull();
    expect(
      await app.repos.readings.dailyPerBucket(
        pk,
        'Europe/Berlin',
        [Date.parse('2026-01-31T23:00:00Z'), Date.parse('2026-02-01T23:00:00Z')],
        'sum',
      ),
    ).toEqual([null]);
  });

  it('When a zone has half-hour offsets (Asia/Kolkata), then no day has a daily roll-up and day buckets still add up', async () => {
    const site = await createSite(app, { timezone: 'Asia/Kolkata' });
    const { metrics } = await createDevice(app, site.id, { type: 'meter' });
    const T0 = Date.parse('2026-01-10T00:00:00Z');
    await ingest(
      Array.from({ length: 2 * 24 }, (_, i) => ({
        metricId: metrics[0].id,
        timestamp: iso(T0 + i * 60 * MINUTE),
        value: 1,
      })),
    );
    const pk = await metricPk(app, metrics[0].id);
    await app.repos.readings.foldPendingDailies();
    expect([await pendingRows(pk), await dailyRows(pk)]).toEqual([0, 0]);
    // Local midnight is 18:30 UTC: the first day holds 19 hourly readings (00:00–18:00 UTC).
    expect(
      await values(metrics[0].id, `from=${iso(T0)}&to=${iso(T0 + 2 * 86_400_000)}&interval=1d&agg=sum&tz=Asia/Kolkata`),
    ).toEqual([19, 24, 5]);
  });
});
