import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs } from '../../helpers/app.js';
import { expectInvalid, expectProblem, snapshot, type World } from './support.js';
import { sqlRun } from '../../helpers/sql.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const [soc, power] = [0, 1];
const del = (metricId: string) => injectAs(app, w.technician, { method: 'DELETE', url: `/api/metrics/${metricId}` });

describe('DELETE /api/metrics/:metricId', () => {
  it("When a technician deletes a device's last metric, then it gets 409 LAST_METRIC and the metric is still there", async () => {
    expect((await del(w.metrics[power].id)).statusCode).toBe(204);
    const before = await snapshot(app);
    expectProblem(await del(w.metrics[soc].id), 409, 'LAST_METRIC');
    expect(await snapshot(app)).toEqual(before);
    const res = await injectAs(app, w.viewer, { method: 'GET', url: `/api/devices/${w.device.id}/metrics` });
    expect(res.json().items.map((m: { key: string }) => m.key)).toEqual(['soc']);
  });
});

describe('POST /api/devices/:deviceId/metrics', () => {
  it('When a technician adds a metric, then it gets 201 with a Location and the device lists it', async () => {
    const res = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/devices/${w.device.id}/metrics`,
      payload: { key: 'temperature', name: 'Cell temperature', unit: '°C', intervalSeconds: 300 },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(`/api/metrics/${res.json().id}`);
    expect(res.json()).toMatchObject({
      deviceId: w.device.id,
      siteId: w.site.id,
      key: 'temperature',
      unit: '°C',
      kind: 'gauge',
      intervalSeconds: 300,
      latest: null,
    });
    const list = await injectAs(app, w.viewer, { method: 'GET', url: `/api/devices/${w.device.id}/metrics` });
    expect(list.json().items.map((m: { key: string }) => m.key)).toEqual(['soc', 'power', 'temperature']);
  });

  it('When the key is already used on the device, then it gets 409 METRIC_KEY_TAKEN and nothing is stored', async () => {
    const before = await snapshot(app);
    const res = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/devices/${w.device.id}/metrics`,
      payload: { key: 'soc', name: 'Again', unit: '%' },
    });
    expect(expectProblem(res, 409, 'METRIC_KEY_TAKEN').detail).toContain('soc');
    expect(await snapshot(app)).toEqual(before);
  });

  it('When the key is not snake_case, then it gets 422', async () => {
    expectInvalid(
      await injectAs(app, w.technician, {
        method: 'POST',
        url: `/api/devices/${w.device.id}/metrics`,
        payload: { key: 'Power Out', name: 'P', unit: 'kW' },
      }),
      '/key',
    );
  });
});

describe('PATCH /api/metrics/:metricId', () => {
  it('When a technician renames a metric, then it gets 200 and the trimmed name is stored', async () => {
    const res = await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/metrics/${w.metrics[soc].id}`,
      payload: { name: '  SoC ', intervalSeconds: 10 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: w.metrics[soc].id, name: 'SoC', intervalSeconds: 10, key: 'soc' });
    expect((await app.repos.metrics.findById(w.metrics[soc].id))!.name).toBe('SoC');
  });

  it("When the key is changed to a sibling's key, then it gets 409 and nothing changes", async () => {
    const before = await snapshot(app);
    expectProblem(
      await injectAs(app, w.technician, {
        method: 'PATCH',
        url: `/api/metrics/${w.metrics[soc].id}`,
        payload: { key: 'power' },
      }),
      409,
      'METRIC_KEY_TAKEN',
    );
    expect(await snapshot(app)).toEqual(before);
  });

  it('When a viewer tries to rename a metric, then it gets 403 and nothing changes', async () => {
    const before = await snapshot(app);
    expectProblem(
      await injectAs(app, w.viewer, {
        method: 'PATCH',
        url: `/api/metrics/${w.metrics[soc].id}`,
        payload: { name: 'Mine' },
      }),
      403,
      'FORBIDDEN',
    );
    expect(await snapshot(app)).toEqual(before);
  });
});

describe('GET /api/sites/:siteId/latest', () => {
  it('When a viewer polls the site, then every metric comes with its device name and latest value (null before any reading)', async () => {
    const res = await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}/latest` });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toMatchObject([
      { id: w.metrics[soc].id, key: 'soc', deviceName: 'Main Battery', latest: null },
      { id: w.metrics[power].id, key: 'power', deviceName: 'Main Battery', latest: null },
    ]);
  });

  it('When a metric has a recent reading, then latest carries value, unit and stale: false; an old one is stale', async () => {
    const now = Date.now();
    const setLatest = 'UPDATE metrics SET latest_ts = ?, latest_value = ?, latest_received_at = ? WHERE id = ?';
    await sqlRun(app, setLatest, [now - 30_000, 81.5, now - 29_000, w.metrics[soc].id]);
    await sqlRun(app, setLatest, [now - 181_000, -3, now - 181_000, w.metrics[power].id]);
    const res = await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}/latest` });
    const [a, b] = res.json().items;
    expect(a.latest).toEqual({
      value: 81.5,
      unit: '%',
      timestamp: new Date(now - 30_000).toISOString(),
      receivedAt: new Date(now - 29_000).toISOString(),
      stale: false,
    });
    expect(b.latest).toMatchObject({ value: -3, unit: 'kW', stale: true });
  });
  // A member's site is not read again (its membership implies it); an admin's is.
  it('When an admin names a site that does not exist, then its latest values and its devices are 404, like for anyone', async () => {
    for (const url of ['/api/sites/site_nope/latest', '/api/sites/site_nope/devices'])
      expectProblem(await injectAs(app, w.admin, { method: 'GET', url }), 404, 'SITE_NOT_FOUND');
  });

  it('When a site is deleted, then its former viewer and technician get 404 for its latest values and its devices, and nothing is served from a cache', async () => {
    const urls = [`/api/sites/${w.site.id}/latest`, `/api/sites/${w.site.id}/devices`];
    for (const actor of [w.viewer, w.technician])
      for (const url of urls) expect((await injectAs(app, actor, { method: 'GET', url })).statusCode).toBe(200);
    expect((await injectAs(app, w.admin, { method: 'DELETE', url: `/api/sites/${w.site.id}` })).statusCode).toBe(204);
    for (const actor of [w.viewer, w.technician])
      for (const url of urls) expectProblem(await injectAs(app, actor, { method: 'GET', url }), 404, 'SITE_NOT_FOUND');
  });

  // The cascade is not the only guard: memberships are read joined to their site.
  it('When a site row is deleted by hand with foreign keys off, its memberships left behind, then its members still get 404', async () => {
    const urls = [`/api/sites/${w.site.id}/latest`, `/api/sites/${w.site.id}/devices`];
    for (const url of urls) expect((await injectAs(app, w.viewer, { method: 'GET', url })).statusCode).toBe(200);
    const sql = app.db.$client;
    sql.pragma('foreign_keys = OFF');
    sql.prepare('DELETE FROM sites WHERE id = ?').run(w.site.id);
    sql.pragma('foreign_keys = ON');
    expect(sql.prepare('SELECT count(*) AS n FROM site_members WHERE site_id = ?').get(w.site.id)).toEqual({ n: 2 });
    for (const actor of [w.viewer, w.technician, w.admin])
      for (const url of urls) expectProblem(await injectAs(app, actor, { method: 'GET', url }), 404, 'SITE_NOT_FOUND');
  });

  it('When a member polls the site or lists its devices, then the site row is not read again (only an admin, who may name any id, costs that read)', async () => {
    const exists = vi.spyOn(app.repos.sites, 'exists');
    for (const url of [`/api/sites/${w.site.id}/latest`, `/api/sites/${w.site.id}/devices`]) {
      exists.mockClear();
      expect((await injectAs(app, w.viewer, { method: 'GET', url })).statusCode).toBe(200);
      expect(exists).not.toHaveBeenCalled();
      expect((await injectAs(app, w.admin, { method: 'GET', url })).statusCode).toBe(200);
      expect(exists).toHaveBeenCalledTimes(1);
    }
  });
});
