import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { retentionService } from '../../src/services/retention.js';
import { buildTestApp, createWorld } from '../helpers/app.js';

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
    expect(await app.repos.readings.raw(pk, 0, now)).toEqual([[recent, 7]]);
    const rollups = await app.repos.readings.hourly(pk, 0, now);
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
    expect(await app.repos.readings.raw(pk, 0, Date.now())).toHaveLength(1);
  });
});
