import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs } from '../../helpers/app.js';
import { count, expectInvalid, expectProblem, lastAudit, snapshot, type World } from './support.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const createDevice = (payload: Record<string, unknown>) =>
  injectAs(app, w.technician, { method: 'POST', url: `/api/sites/${w.site.id}/devices`, payload });
const patchDevice = (payload: Record<string, unknown>, ifMatch?: string) =>
  injectAs(app, w.technician, {
    method: 'PATCH',
    url: `/api/devices/${w.device.id}`,
    payload,
    headers: ifMatch ? { 'if-match': ifMatch } : {},
  });
const getDevice = () => injectAs(app, w.viewer, { method: 'GET', url: `/api/devices/${w.device.id}` });

describe('POST /api/sites/:siteId/devices', () => {
  it('When a battery is created without metrics, then it gets the battery defaults: soc in % and power in kW', async () => {
    const res = await createDevice({ name: '  Battery 2 ', type: 'battery', manufacturer: '' });
    expect(res.statusCode).toBe(201);
    const device = res.json();
    expect(res.headers.location).toBe(`/api/devices/${device.id}`);
    expect(res.headers.etag).toBe('"v1"');
    expect(device).toMatchObject({
      name: 'Battery 2',
      type: 'battery',
      siteId: w.site.id,
      manufacturer: null,
      version: 1,
    });
    expect(device.metrics.map((m: { key: string; unit: string }) => [m.key, m.unit])).toEqual([
      ['soc', '%'],
      ['power', 'kW'],
    ]);
    expect((await app.repos.metrics.listByDevice(device.id)).map((m) => m.key)).toEqual(['soc', 'power']);
  });

  it('When a device is created with its own metrics, then exactly those are stored with kind and interval defaults', async () => {
    const res = await createDevice({
      name: 'Meter',
      type: 'meter',
      metrics: [
        { key: 'voltage', name: 'Voltage', unit: 'V' },
        { key: 'energy', name: 'Energy', unit: 'kWh', kind: 'counter', intervalSeconds: 900 },
      ],
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().metrics).toMatchObject([
      { key: 'voltage', unit: 'V', kind: 'gauge', intervalSeconds: 60, latest: null },
      { key: 'energy', unit: 'kWh', kind: 'counter', intervalSeconds: 900 },
    ]);
  });

  it('When a device is created with metrics: [], then it gets 422 and no device is stored', async () => {
    const before = await snapshot(app);
    expectInvalid(await createDevice({ name: 'Empty', type: 'battery', metrics: [] }), '/metrics');
    expect(await snapshot(app)).toEqual(before);
  });

  it('When two metrics share a key, then it gets 422 naming the second and nothing is stored', async () => {
    const before = await snapshot(app);
    const metric = { key: 'power', name: 'Power', unit: 'kW' };
    expectInvalid(await createDevice({ name: 'Dup', type: 'battery', metrics: [metric, metric] }), '/metrics/1/key');
    expect(await snapshot(app)).toEqual(before);
  });

  it('When the type is not a known device type, then it gets 422', async () => {
    expectInvalid(await createDevice({ name: 'Toaster', type: 'toaster' }), '/type');
  });

  it('When a viewer tries to create a device, then it gets 403 and nothing is stored', async () => {
    const before = await snapshot(app);
    const res = await injectAs(app, w.viewer, {
      method: 'POST',
      url: `/api/sites/${w.site.id}/devices`,
      payload: { name: 'Sneaky', type: 'meter' },
    });
    expectProblem(res, 403, 'FORBIDDEN');
    expect(await snapshot(app)).toEqual(before);
  });
});

describe('The rated power of a device (ratedPowerKw)', () => {
  it('When a device is created with a rated power, then it is stored and returned; without one it is null', async () => {
    const rated = await createDevice({ name: 'Big Battery', type: 'battery', ratedPowerKw: 1900 });
    expect(rated.statusCode).toBe(201);
    expect(rated.json()).toMatchObject({ ratedPowerKw: 1900 });
    expect((await app.repos.devices.findById(rated.json().id))?.ratedPowerKw).toBe(1900);
    expect((await createDevice({ name: 'Plain Battery', type: 'battery' })).json()).toMatchObject({
      ratedPowerKw: null,
    });
  });

  it.each([0, -5, 10_000_001, '50'])(
    'When the rated power is %j, then it gets 422 naming the field and nothing is stored',
    async (ratedPowerKw) => {
      const before = await snapshot(app);
      expectInvalid(await createDevice({ name: 'Odd', type: 'battery', ratedPowerKw }), '/ratedPowerKw');
      expectInvalid(await patchDevice({ ratedPowerKw }), '/ratedPowerKw');
      expect(await snapshot(app)).toEqual(before);
    },
  );

  it('When a technician sets and then clears the rated power, then each change is audited with before and after', async () => {
    const set = await patchDevice({ ratedPowerKw: 12.5 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ ratedPowerKw: 12.5 });
    let audit = (await lastAudit(app))!;
    expect(audit).toMatchObject({ actor_id: w.technician.id, entity_type: 'device', action: 'update' });
    expect([JSON.parse(audit.before!).ratedPowerKw, JSON.parse(audit.after!).ratedPowerKw]).toEqual([null, 12.5]);

    const cleared = await patchDevice({ ratedPowerKw: null });
    expect(cleared.json()).toMatchObject({ ratedPowerKw: null });
    audit = (await lastAudit(app))!;
    expect([JSON.parse(audit.before!).ratedPowerKw, JSON.parse(audit.after!).ratedPowerKw]).toEqual([12.5, null]);
    expect((await getDevice()).json()).toMatchObject({ ratedPowerKw: null });
  });
});

describe('GET /api/sites/:siteId/devices', () => {
  it("When a viewer lists a site's devices, then it sees them by name without metrics", async () => {
    await createDevice({ name: 'A Inverter', type: 'inverter' });
    const res = await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}/devices` });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((d: { name: string }) => d.name)).toEqual(['A Inverter', 'Main Battery']);
    expect(res.json().items[0]).not.toHaveProperty('metrics');
    expect(res.json().nextCursor).toBeNull();
  });

  it('When a site has more devices than the limit, then the cursor walks each device once and ends with nextCursor null', async () => {
    for (let i = 0; i < 6; i++)
      await app.repos.devices.create(
        w.site.id,
        { name: `Pump ${i % 2}`, type: 'other', manufacturer: null, model: null, serialNumber: null },
        [{ key: 'value', name: 'Value', unit: '', kind: 'gauge', intervalSeconds: 60 }],
        null,
      );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await injectAs(app, w.viewer, {
        method: 'GET',
        url: `/api/sites/${w.site.id}/devices?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((d: { id: string }) => d.id));
      cursor = res.json().nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect(seen).toContain(w.device.id);
  });
});

describe('If-Match on PATCH /api/devices/:deviceId', () => {
  it('When the current ETag is sent, then it gets 200 with a new ETag and the change is stored', async () => {
    const etag = (await getDevice()).headers.etag as string;
    expect(etag).toBe('"v1"');
    const res = await patchDevice({ name: 'Renamed' }, etag);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"v2"');
    expect(res.json()).toMatchObject({ name: 'Renamed', version: 2 });
    expect((await getDevice()).json().name).toBe('Renamed');
  });

  it('When a stale ETag is sent after someone else changed the device, then it gets 412 and their change stands', async () => {
    const stale = (await getDevice()).headers.etag as string;
    expect((await patchDevice({ model: 'Theirs' }, stale)).statusCode).toBe(200);
    const before = await snapshot(app);
    expectProblem(await patchDevice({ model: 'Mine' }, stale), 412, 'PRECONDITION_FAILED');
    expect(await snapshot(app)).toEqual(before);
    expect((await getDevice()).json().model).toBe('Theirs');
  });

  it('When If-Match is garbage, then it never matches (412)', async () => {
    expectProblem(await patchDevice({ model: 'X' }, 'v1'), 412, 'PRECONDITION_FAILED');
  });

  it('When no If-Match is sent, then the change is allowed (last write wins)', async () => {
    await patchDevice({ model: 'First' });
    const res = await patchDevice({ model: 'Second' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ model: 'Second', version: 3 });
  });
});

describe('DELETE /api/devices/:deviceId', () => {
  it('When a stale ETag is sent, then it gets 412 and the device stays', async () => {
    await patchDevice({ model: 'Changed' });
    expectProblem(
      await injectAs(app, w.technician, {
        method: 'DELETE',
        url: `/api/devices/${w.device.id}`,
        headers: { 'if-match': '"v1"' },
      }),
      412,
      'PRECONDITION_FAILED',
    );
    expect(await app.repos.devices.findById(w.device.id)).not.toBeNull();
  });

  it('When a technician deletes a device with the current ETag, then its metrics go with it and it answers 404 afterwards', async () => {
    const res = await injectAs(app, w.technician, {
      method: 'DELETE',
      url: `/api/devices/${w.device.id}`,
      headers: { 'if-match': '"v1"' },
    });
    expect(res.statusCode).toBe(204);
    expect(await count(app, 'metrics')).toBe(0);
    expectProblem(await getDevice(), 404, 'DEVICE_NOT_FOUND');
    expectProblem(
      await injectAs(app, w.viewer, { method: 'GET', url: `/api/metrics/${w.metrics[0].id}` }),
      404,
      'METRIC_NOT_FOUND',
    );
  });
});
