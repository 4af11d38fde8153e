import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { HOUR_MS } from '../../../src/time.js';
import { buildTestApp, createWorld, injectAs } from '../../helpers/app.js';
import { signIn } from '../../helpers/pages.js';
import { sqlOf } from '../../helpers/sql.js';
import { expectInvalid, type World } from './support.js';

let app: App;
let w: World;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const soc = () => w.metrics.find((m) => m.key === 'soc')!;
const patch = (decimals: unknown) =>
  injectAs(app, w.technician, { method: 'PATCH', url: `/api/metrics/${soc().id}`, payload: { decimals } });

/** Three readings in one past hour: average 1.790115, sum 5.370345, max 2.34567. */
async function readings() {
  const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
  const values = [1.23456, 2.34567, 1.790115];
  await app.services.readings.ingest(
    (await app.services.auth.loadActor(w.admin.id))!,
    values.map((value, i) => ({ metricId: soc().id, timestamp: new Date(hour + i * 60_000).toISOString(), value })),
  );
  return { from: new Date(hour).toISOString(), to: new Date(hour + HOUR_MS).toISOString() };
}
const series = async (q: string) => {
  const res = await injectAs(app, w.viewer, { method: 'GET', url: `/api/metrics/${soc().id}/timeseries?${q}` });
  expect(res.statusCode).toBe(200);
  return res;
};

describe("A metric's decimals", () => {
  it('When a technician sets, changes and clears decimals, then each is stored and shown; out of 0–6 or not whole is 400 on the field', async () => {
    expect(
      (await injectAs(app, w.viewer, { method: 'GET', url: `/api/metrics/${soc().id}` })).json().decimals,
    ).toBeNull();
    expect((await patch(1)).json().decimals).toBe(1);
    expect((await patch(0)).json().decimals).toBe(0);
    expect((await patch(null)).json().decimals).toBeNull();
    for (const bad of [7, -1, 1.5, '2']) expectInvalid(await patch(bad), '/decimals');
    const created = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/devices/${w.device.id}/metrics`,
      payload: { key: 'temp', name: 'Temperature', unit: '°C', decimals: 1 },
    });
    expect(created.json().decimals).toBe(1);
  });

  it('When a metric has decimals, then averages and sums in JSON and CSV are rounded to them, and min, max, first and last are the exact readings', async () => {
    const { from, to } = await readings();
    const q = (agg: string, format = 'json') => `from=${from}&to=${to}&interval=1h&agg=${agg}&format=${format}`;
    // Without decimals, as computed.
    expect((await series(q('avg'))).json().series[0].values[0]).toBeCloseTo(1.790115, 9);
    await patch(2);
    const avg = (await series(q('avg'))).json().series[0];
    expect(avg.decimals).toBe(2);
    expect(avg.values).toEqual([1.79]);
    expect((await series(q('sum'))).json().series[0].values).toEqual([5.37]);
    expect((await series(q('max'))).json().series[0].values).toEqual([2.34567]);
    expect((await series(q('min'))).json().series[0].values).toEqual([1.23456]);
    expect((await series(q('first'))).json().series[0].values).toEqual([1.23456]);
    expect((await series(q('last'))).json().series[0].values).toEqual([1.790115]);
    expect((await series(q('count'))).json().series[0].values).toEqual([3]);
    const csv = (await series(q('avg', 'csv'))).body.trim().split('\n');
    expect(csv[1].split(',')[1]).toBe('1.79');
    expect((await series(q('max', 'csv'))).body.trim().split('\n')[1].split(',')[1]).toBe('2.34567');
    // Storage keeps the reading exact.
    expect(await sqlOf(app).value('SELECT max(value) FROM readings')).toBe(2.34567);
  });

  it('When a technician fills in Decimals in the device form, then it is saved; empty clears it; 9 comes back with 422 beside the field', async () => {
    const b = await signIn(app, w.technician.email);
    const form = await b.get(`/devices/${w.device.id}/edit`);
    expect(form.body).toMatch(/<label for="m0-decimals">Decimals<\/label>/);
    const row = (i: number, m: (typeof w.metrics)[number], decimals: string) => ({
      [`metrics[${i}][id]`]: m.id,
      [`metrics[${i}][key]`]: m.key,
      [`metrics[${i}][name]`]: m.name,
      [`metrics[${i}][unit]`]: m.unit,
      [`metrics[${i}][kind]`]: m.kind,
      [`metrics[${i}][intervalSeconds]`]: m.intervalSeconds,
      [`metrics[${i}][decimals]`]: decimals,
    });
    const version = () => sqlOf(app).value<number>('SELECT version FROM devices WHERE id = ?', w.device.id);
    const post = async (fields: object) =>
      b.post(`/devices/${w.device.id}`, {
        version: await version(),
        name: w.device.name,
        type: 'battery',
        manufacturer: '',
        model: '',
        serialNumber: '',
        ...fields,
      });
    const decimals = async () =>
      Object.fromEntries(
        (await injectAs(app, w.viewer, { method: 'GET', url: `/api/devices/${w.device.id}/metrics` }))
          .json()
          .items.map((m: { key: string; decimals: number | null }) => [m.key, m.decimals]),
      );
    expect((await post({ ...row(0, w.metrics[0], '1'), ...row(1, w.metrics[1], '') })).statusCode).toBe(303);
    expect(await decimals()).toEqual({ soc: 1, power: null });
    expect((await b.get(`/devices/${w.device.id}/edit`)).body).toMatch(
      /id="m0-decimals" name="metrics\[0\]\[decimals\]" type="number" value="1"/,
    );
    expect((await post({ ...row(0, w.metrics[0], ''), ...row(1, w.metrics[1], '3') })).statusCode).toBe(303);
    expect(await decimals()).toEqual({ soc: null, power: 3 });
    const bad = await post({ ...row(0, w.metrics[0], '9'), ...row(1, w.metrics[1], '') });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toMatch(/id="m0-decimals-error"/);
  });
});
