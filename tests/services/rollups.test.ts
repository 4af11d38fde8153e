import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { collectSeries } from '../../src/services/timeseries.js';
import { buildTestApp, createDevice, createSite } from '../helpers/app.js';
import { hourlyRollups } from '../helpers/readings.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5, 0); // a Monday, midnight UTC
let app: App;
beforeEach(async () => {
  app = await buildTestApp();
});
afterEach(() => app.close());

async function meterEnergy() {
  const site = await createSite(app, { timezone: 'UTC' });
  const { metrics } = await createDevice(app, site.id, { type: 'meter' });
  const m = metrics.find((x) => x.key === 'import_energy')!;
  return { pk: m.pk, id: m.id };
}

const deltas = async (metricId: string) => {
  const actor = { id: 'system', email: '', name: '', isAdmin: true, roles: new Map() };
  const r = await collectSeries(
    await app.services.timeseries.forMetric(actor, metricId, {
      from: new Date(T0).toISOString(),
      to: new Date(T0 + 4 * H).toISOString(),
      interval: '1h',
      agg: 'delta',
    }),
  );
  return r.series[0].values;
};

describe('hourly roll-ups and counter deltas', () => {
  it('When an earlier hour arrives after a later one, then the later hour’s delta is corrected to start from the new reading', async () => {
    const m = await meterEnergy();
    await app.repos.readings.ingest([
      { metricPk: m.pk, ts: T0 + 2 * H + 60_000, value: 10 },
      { metricPk: m.pk, ts: T0 + 2 * H + 120_000, value: 12 },
    ]);
    expect(await deltas(m.id)).toEqual([null, null, 2, null]);
    await app.repos.readings.ingest([
      { metricPk: m.pk, ts: T0 + H + 60_000, value: 5 },
      { metricPk: m.pk, ts: T0 + H + 120_000, value: 8 },
    ]);
    expect(await deltas(m.id)).toEqual([null, 3, 4, null]);
  });

  it('When the counter resets between hours, then the step counts from 0 (the new value)', async () => {
    const m = await meterEnergy();
    await app.repos.readings.ingest([
      { metricPk: m.pk, ts: T0 + 60_000, value: 100 },
      { metricPk: m.pk, ts: T0 + H + 60_000, value: 3 },
      { metricPk: m.pk, ts: T0 + H + 120_000, value: 4 },
    ]);
    expect(await deltas(m.id)).toEqual([0, 4, null, null]);
  });

  it('When a reading inside an hour is replaced, then that hour and the next hour’s step both follow', async () => {
    const m = await meterEnergy();
    await app.repos.readings.ingest([
      { metricPk: m.pk, ts: T0 + 60_000, value: 1 },
      { metricPk: m.pk, ts: T0 + 120_000, value: 2 },
      { metricPk: m.pk, ts: T0 + H + 60_000, value: 7 },
    ]);
    expect(await deltas(m.id)).toEqual([1, 5, null, null]);
    await app.repos.readings.ingest([{ metricPk: m.pk, ts: T0 + 120_000, value: 6 }]);
    expect(await deltas(m.id)).toEqual([5, 1, null, null]);
  });
});

describe('roll-ups built incrementally', () => {
  it('When an hour arrives in several batches, in order and then late, then its roll-up equals one built from all readings at once', async () => {
    const a = await meterEnergy();
    const b = await meterEnergy();
    const readings = [5, 9, 2, 14, 14, 30, 1, 7].map((value, i) => ({ ts: T0 + (i + 1) * 5 * 60_000, value }));
    const late = { ts: T0 + 7 * 60_000, value: 3 };
    // a: everything in one batch
    await app.repos.readings.ingest([...readings, late].map((r) => ({ metricPk: a.pk, ...r })));
    // b: in order in two batches (the merge path), compared before the late reading arrives …
    await app.repos.readings.ingest(readings.slice(0, 3).map((r) => ({ metricPk: b.pk, ...r })));
    await app.repos.readings.ingest(readings.slice(3).map((r) => ({ metricPk: b.pk, ...r })));
    const [merged] = await hourlyRollups(app, b.pk, T0, T0 + H);
    expect(merged).toMatchObject({ count: 8, sum: 82, min: 1, max: 30, first: 5, last: 7, deltaIn: 5 + 13 + 16 + 7 });
    // … then a late reading inside the hour (the rebuild path)
    await app.repos.readings.ingest([{ metricPk: b.pk, ...late }]);
    const [ra] = await hourlyRollups(app, a.pk, T0, T0 + H);
    const [rb] = await hourlyRollups(app, b.pk, T0, T0 + H);
    expect(rb).toEqual(ra);
    expect(ra).toMatchObject({ count: 9, min: 1, max: 30, first: 5, last: 7, sum: 85 });
  });
});
