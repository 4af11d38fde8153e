import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createDevice, createWorld, injectAs, type TestUser } from '../../helpers/app.js';
import { expectInvalid, expectProblem, type World } from './support.js';
import { tapLive } from '../../helpers/live.js';
import { sqlOf } from '../../helpers/sql.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const T0 = Date.parse('2026-01-15T10:00:00Z');

async function keyFor(deviceId?: string, siteId = w.site.id) {
  const res = await injectAs(app, w.admin, {
    method: 'POST',
    url: `/api/sites/${siteId}/ingest-keys`,
    payload: { name: 'Gateway', ...(deviceId ? { deviceId } : {}) },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().key as string;
}
const send = (key: string, payload: unknown, deviceId: string | null = w.device.id) =>
  app.inject({
    method: 'POST',
    url: deviceId === null ? '/api/telemetry' : `/api/devices/${deviceId}/telemetry`,
    headers: { authorization: `Bearer ${key}` },
    payload: payload as object,
  });
const sendAs = (user: TestUser, payload: unknown, deviceId = w.device.id) =>
  injectAs(app, user, { method: 'POST', url: `/api/devices/${deviceId}/telemetry`, payload: payload as object });
const stored = () =>
  sqlOf(app).all<{ key: string; ts: number; value: number }>(
    'SELECT m.key, r.ts, r.value FROM readings r JOIN metrics m ON m.pk = r.metric_pk ORDER BY r.ts, m.key',
  );

describe('POST /api/devices/:deviceId/telemetry', () => {
  it('When a site key sends a sample with an ISO time, then each value is stored under its metric and the latest moves', async () => {
    const key = await keyFor();
    const res = await send(key, { ts: new Date(T0).toISOString(), values: { soc: 50, power: -2.5 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ stored: 2 });
    expect(await stored()).toEqual([
      { key: 'power', ts: T0, value: -2.5 },
      { key: 'soc', ts: T0, value: 50 },
    ]);
    const metric = await injectAs(app, w.admin, { method: 'GET', url: `/api/metrics/${w.metrics[0].id}` });
    expect(metric.json().latest).toMatchObject({ value: 50 });
  });

  it('When a list of samples with epoch milliseconds is sent twice, then the second replaces the first (idempotent)', async () => {
    const key = await keyFor();
    const batch = [
      { ts: T0, values: { soc: 50 } },
      { ts: T0 + 60_000, values: { soc: 51 } },
    ];
    expect((await send(key, batch)).json()).toEqual({ stored: 2 });
    expect((await send(key, batch)).json()).toEqual({ stored: 2 });
    expect(await stored()).toEqual([
      { key: 'soc', ts: T0, value: 50 },
      { key: 'soc', ts: T0 + 60_000, value: 51 },
    ]);
  });

  it('When bare values are sent, then they are stamped with the time of receipt', async () => {
    const key = await keyFor();
    const before = Date.now();
    expect((await send(key, { soc: 42 })).statusCode).toBe(200);
    const [row] = await stored();
    expect(row.value).toBe(42);
    expect(row.ts).toBeGreaterThanOrEqual(before);
    expect(row.ts).toBeLessThanOrEqual(Date.now());
  });

  it('When a key the device has no metric for is sent, then 422 names it and nothing of the message is stored', async () => {
    const key = await keyFor();
    const res = await send(key, [
      { ts: T0, values: { soc: 50 } },
      { ts: T0, values: { voltage: 230, soc: 51 } },
    ]);
    const body = expectInvalid(res, '/1/values/voltage');
    expect(body.detail).toMatch(/voltage/);
    expect(await stored()).toEqual([]);
  });

  it('When a time is in the future, not a time, or a fraction of a millisecond, then 422 names each sample', async () => {
    const key = await keyFor();
    const res = await send(key, [
      { ts: Date.now() + 3_600_000, values: { soc: 1 } },
      { ts: '2026-02-30T00:00:00Z', values: { soc: 1 } },
      { ts: 1.5, values: { soc: 1 } },
    ]);
    const body = expectInvalid(res, '/0/ts');
    expect(body.errors?.map((e) => e.path).sort()).toEqual(['/0/ts', '/1/ts', '/2/ts']);
    expect(await stored()).toEqual([]);
  });

  it('When the message is not telemetry, then 422 names the one field at fault', async () => {
    const key = await keyFor();
    expect(expectInvalid(await send(key, { soc: 'high' }), '/soc').errors).toEqual([
      { path: '/soc', message: 'Must be a finite number' },
    ]);
    expect(expectInvalid(await send(key, { ts: T0, values: {} }), '/values').errors).toHaveLength(1);
    expect(expectInvalid(await send(key, [{ ts: T0, values: { soc: 1 }, extra: 1 }]), '/0/extra').errors).toHaveLength(
      1,
    );
    expect(expectInvalid(await send(key, [{ ts: true, values: { soc: 1 } }]), '/0/ts').errors).toHaveLength(1);
    expectInvalid(await send(key, []), '');
    const number = await app.inject({
      method: 'POST',
      url: `/api/devices/${w.device.id}/telemetry`,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: '42',
    });
    expect(number.statusCode).toBeGreaterThanOrEqual(400);
    expect(number.statusCode).toBeLessThan(500);
    expect(await stored()).toEqual([]);
  });

  it("When a site key sends for another site's device, then 404 like a missing device", async () => {
    const key = await keyFor();
    const { device } = await createDevice(app, w.otherSite.id);
    expectProblem(await send(key, { soc: 1 }, device.id), 404, 'DEVICE_NOT_FOUND');
    expectProblem(await send(key, { soc: 1 }, 'dev_missing'), 404, 'DEVICE_NOT_FOUND');
  });

  it('When a device key sends for another device of its site, then 404; for its own, 200', async () => {
    const key = await keyFor(w.device.id);
    const { device } = await createDevice(app, w.site.id);
    expectProblem(await send(key, { soc: 1 }, device.id), 404, 'DEVICE_NOT_FOUND');
    expect((await send(key, { soc: 1 })).statusCode).toBe(200);
  });

  it('When persons send, then technicians and admins may, viewers get 403 and outsiders 404', async () => {
    expect((await sendAs(w.technician, { ts: T0, values: { soc: 1 } })).statusCode).toBe(200);
    expect((await sendAs(w.admin, { ts: T0, values: { soc: 2 } })).statusCode).toBe(200);
    expectProblem(await sendAs(w.viewer, { soc: 3 }), 403, 'FORBIDDEN');
    expectProblem(await sendAs(w.outsider, { soc: 3 }), 404, 'DEVICE_NOT_FOUND');
    expect(await stored()).toEqual([{ key: 'soc', ts: T0, value: 2 }]);
  });

  it('When a key that does not exist is sent, then 401', async () => {
    expectProblem(await send('swi_nothing', { soc: 1 }), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /api/telemetry', () => {
  it("When the device's metrics change between messages, then the next message follows at once (no stale key map)", async () => {
    const key = await keyFor();
    const at = (n: number) => new Date(T0 + n * 1000).toISOString();
    expect((await send(key, { ts: at(0), values: { soc: 1 } })).statusCode).toBe(200);
    const added = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/devices/${w.device.id}/metrics`,
      payload: { key: 'temperature', name: 'Cell temperature', unit: '°C' },
    });
    expect(added.statusCode).toBe(201);
    expect((await send(key, { ts: at(1), values: { temperature: 21 } })).statusCode).toBe(200);
    const renamed = await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/metrics/${added.json().id}`,
      payload: { key: 'cell_temp' },
    });
    expect(renamed.statusCode).toBe(200);
    expectInvalid(await send(key, { ts: at(2), values: { temperature: 22 } }), '/values/temperature');
    expect((await send(key, { ts: at(3), values: { cell_temp: 23 } })).statusCode).toBe(200);
    const gone = await injectAs(app, w.technician, { method: 'DELETE', url: `/api/devices/${w.device.id}` });
    expect(gone.statusCode).toBe(204);
    expectProblem(await send(key, { ts: at(4), values: { soc: 2 } }), 404, 'DEVICE_NOT_FOUND');
  });

  it('When a device key sends, then the values go to its device', async () => {
    const key = await keyFor(w.device.id);
    expect((await send(key, { ts: T0, values: { soc: 7 } }, null)).json()).toEqual({ stored: 1 });
    expect(await stored()).toEqual([{ key: 'soc', ts: T0, value: 7 }]);
  });

  it('When a site key or a person sends, then 403: neither names a device', async () => {
    expectProblem(await send(await keyFor(), { soc: 7 }, null), 403, 'FORBIDDEN');
    const res = await injectAs(app, w.technician, { method: 'POST', url: '/api/telemetry', payload: { soc: 7 } });
    expectProblem(res, 403, 'FORBIDDEN');
    expect(await stored()).toEqual([]);
  });

  it("When the key's device is deleted, then the key stops working (401)", async () => {
    const key = await keyFor(w.device.id);
    expect((await send(key, { soc: 7 }, null)).statusCode).toBe(200);
    await injectAs(app, w.admin, { method: 'DELETE', url: `/api/devices/${w.device.id}` });
    expectProblem(await send(key, { soc: 7 }, null), 401, 'UNAUTHENTICATED');
  });
});

describe('telemetry: live events and budgets', () => {
  it('When a device sends telemetry, then live streams get the readings, as for POST /api/readings', async () => {
    const key = await keyFor();
    const live = tapLive(app);
    expect((await send(key, { soc: 12, power: 3 })).statusCode).toBe(200);
    const seen = await live.until((got) => got.length >= 2);
    expect(seen.map((r) => ({ metricId: r.metricId, value: r.value }))).toEqual(
      expect.arrayContaining([
        { metricId: w.metrics[0].id, value: 12 },
        { metricId: w.metrics[1].id, value: 3 },
      ]),
    );
  });

  it('When a key spends its request budget, then it gets 429 while another key and the people of the site keep theirs', async () => {
    await app.close();
    app = await buildTestApp({ rateLimit: { perPrincipal: 3, perAddress: 1_000, windowSeconds: 60 } });
    w = await createWorld(app);
    const [first, second] = [await keyFor(), await keyFor()];
    for (let i = 0; i < 3; i++) expect((await send(first, { soc: i })).statusCode).toBe(200);
    expectProblem(await send(first, { soc: 9 }), 429, 'RATE_LIMITED');
    expect((await send(second, { soc: 9 })).statusCode).toBe(200);
    expect((await sendAs(w.technician, { soc: 9 })).statusCode).toBe(200);
  });
});
