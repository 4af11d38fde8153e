import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { retentionService } from '../../src/services/retention.js';
import { buildTestApp, createWorld, injectAs } from '../helpers/app.js';
import { hourlyRollups, rawReadings } from '../helpers/readings.js';

const DAY = 86_400_000;
let app: App;
beforeEach(async () => {
  app = await buildTestApp();
});
afterEach(() => app.close());

describe('retention', () => {
  it('When raw readings are older than the retention, then they are deleted and their hourly roll-ups stay', async () => {
    const w = await createWorld(app);
    const pk = (await app.repos.metrics.findById(w.metrics[0].id))!.pk;
    const now = Date.UTC(2026, 5, 30, 12);
    const old = now - 40 * DAY;
    const recent = now - 5 * DAY;
    await app.repos.readings.ingest([
      { metricPk: pk, ts: old, value: 1 },
      { metricPk: pk, ts: old + 60_000, value: 3 },
      { metricPk: pk, ts: recent, value: 7 },
    ]);
    const deleted = await retentionService(app.repos, 30).apply(now);
    expect(deleted).toBe(2);
    expect(await rawReadings(app, pk, 0, now)).toEqual([[recent, 7]]);
    const rollups = await hourlyRollups(app, pk, 0, now);
    expect(rollups.map((r) => [r.start, r.count, r.sum])).toEqual([
      [old, 2, 4],
      [recent, 1, 7],
    ]);
  });

  it('When the retention is 0, then nothing is deleted', async () => {
    const w = await createWorld(app);
    const pk = (await app.repos.metrics.findById(w.metrics[0].id))!.pk;
    await app.repos.readings.ingest([{ metricPk: pk, ts: 0, value: 1 }]);
    expect(await retentionService(app.repos, 0).apply()).toBe(0);
    expect(await rawReadings(app, pk, 0, Date.now())).toHaveLength(1);
  });

  it('When a retention is set, then a reading for an hour before its horizon is refused (422) and that hour keeps its roll-up; one inside it is stored', async () => {
    const kept = await buildTestApp({ retentionDays: 30 });
    try {
      const w = await createWorld(kept);
      const metric = w.metrics[0];
      const pk = (await kept.repos.metrics.findById(metric.id))!.pk;
      const hour = Math.floor((Date.now() - 40 * DAY) / 3_600_000) * 3_600_000;
      await kept.repos.readings.ingest(
        [1, 2, 3].map((m, i) => ({ metricPk: pk, ts: hour + m * 60_000, value: [1, 3, 5][i] })),
      );
      await retentionService(kept.repos, 30).apply();
      const post = (ts: number, value: number) =>
        injectAs(kept, w.technician, {
          method: 'POST',
          url: '/api/readings',
          payload: { readings: [{ metricId: metric.id, timestamp: new Date(ts).toISOString(), value }] },
        });
      // A late reading into the purged hour would have rebuilt its roll-up from itself alone.
      const late = await post(hour + 30_000, 9);
      expect(late.statusCode).toBe(422);
      expect(late.json().errors).toEqual([
        { path: '/readings/0/timestamp', message: expect.stringMatching(/^Older than the retention of 30 days/) },
      ]);
      expect((await hourlyRollups(kept, pk, hour, hour + 3_600_000)).map((r) => [r.count, r.sum])).toEqual([[3, 9]]);
      // The hour that holds the horizon is refused too (it may be partly purged); the next one is not.
      const horizonHour = Math.floor((Date.now() - 30 * DAY) / 3_600_000) * 3_600_000;
      expect((await post(horizonHour + 3_599_000, 1)).statusCode).toBe(422);
      expect((await post(horizonHour + 3_600_000 + 60_000, 1)).statusCode).toBe(200);
    } finally {
      await kept.close();
    }
  });
});
