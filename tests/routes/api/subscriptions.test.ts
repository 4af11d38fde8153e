import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs, type TestUser } from '../../helpers/app.js';
import { sqlRow } from '../../helpers/sql.js';
import { expectInvalid, expectProblem, siteLikeMain, type World } from './support.js';

let app: App;
let w: World;
let twin: Awaited<ReturnType<typeof siteLikeMain>>;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  twin = await siteLikeMain(app, w);
});
afterEach(() => app.close());

const T0 = Date.parse('2026-01-15T10:00:00Z');
const create = (user: TestUser, payload: object) =>
  injectAs(app, user, { method: 'POST', url: '/api/subscriptions', payload });
const get = (user: TestUser, id: string) => injectAs(app, user, { method: 'GET', url: `/api/subscriptions/${id}` });
const ids = (items: { id: string }[]) => items.map((m) => m.id);
const subCount = async () => (await sqlRow<{ n: number }>(app, 'SELECT count(*) AS n FROM subscriptions'))!.n;

/** A device of type "other" with `n` gauge metrics, for sets of hundreds of metrics. */
async function wideDevice(siteId: string, n: number, name: string) {
  const metrics = Array.from({ length: n }, (_, i) => ({
    key: `m_${i}`,
    name: `M ${i}`,
    unit: 'kW',
    kind: 'gauge' as const,
    intervalSeconds: 60,
  }));
  return app.repos.devices.create(
    siteId,
    { name, type: 'other', manufacturer: null, model: null, serialNumber: null },
    metrics,
    null,
  );
}

/** The technician's subscription to the main battery's SoC and the twin battery's SoC. */
async function acrossTwoSites() {
  const res = await create(w.technician, { name: 'Both batteries', metricIds: [w.metrics[0].id, twin.metrics[0].id] });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

describe('POST /api/subscriptions', () => {
  it('When a technician saves metrics of two sites, then it gets 201 with each metric, its site, device, unit and latest value', async () => {
    await injectAs(app, w.technician, {
      method: 'POST',
      url: '/api/readings',
      payload: { readings: [{ metricId: twin.metrics[0].id, timestamp: new Date(T0).toISOString(), value: 64 }] },
    });
    const res = await create(w.technician, {
      name: '  Both batteries ',
      metricIds: [twin.metrics[0].id, w.metrics[0].id, w.metrics[1].id],
    });
    expect(res.statusCode, res.body).toBe(201);
    const sub = res.json();
    expect(res.headers.location).toBe(`/api/subscriptions/${sub.id}`);
    expect(sub).toMatchObject({ name: 'Both batteries', metricCount: 3, unavailable: [] });
    // Saved order is kept.
    expect(ids(sub.metrics)).toEqual([twin.metrics[0].id, w.metrics[0].id, w.metrics[1].id]);
    expect(sub.metrics[0]).toMatchObject({
      siteId: twin.site.id,
      siteName: 'Twin Site',
      deviceName: 'Twin Battery',
      unit: '%',
      latest: { value: 64, unit: '%', timestamp: new Date(T0).toISOString() },
    });
    expect(sub.metrics[2]).toMatchObject({
      siteName: 'Main Site',
      deviceName: 'Main Battery',
      key: 'power',
      unit: 'kW',
      latest: null,
    });
  });

  it('When 1,000 distinct metrics of two sites are saved, then it gets 201; 1,001 get 422 and nothing is stored', async () => {
    const a = await wideDevice(w.site.id, 500, 'Rack A');
    const b = await wideDevice(twin.site.id, 501, 'Rack B');
    const all = [...a.metrics, ...b.metrics].map((m) => m.id);
    expectInvalid(await create(w.technician, { name: 'Too many', metricIds: all }), '/metricIds');
    expect(await subCount()).toBe(0);
    const res = await create(w.technician, { name: 'Everything', metricIds: all.slice(0, 1000) });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().metricCount).toBe(1000);
    expect(res.json().metrics).toHaveLength(1000);
  });

  it('When the set is empty, then it gets 422', async () => {
    expectInvalid(await create(w.technician, { name: 'Nothing', metricIds: [] }), '/metricIds');
  });

  it('When a metric is listed twice, then it gets 422 naming the second index and nothing is stored', async () => {
    const res = await create(w.technician, {
      name: 'Dup',
      metricIds: [w.metrics[0].id, w.metrics[1].id, w.metrics[0].id],
    });
    const body = expectInvalid(res, '/metricIds/2');
    expect(body.errors).toEqual([{ path: '/metricIds/2', message: expect.stringContaining('Duplicate') }]);
    expect(await subCount()).toBe(0);
  });

  it('When a metric of a site the user cannot see is listed, then the 422 has exactly the shape of a nonexistent id', async () => {
    const invisible = await create(w.outsider, { name: 'Peek', metricIds: [w.metrics[0].id] });
    const unknown = await create(w.outsider, { name: 'Peek', metricIds: ['met_doesnotexist'] });
    const b = expectInvalid(invisible, '/metricIds/0');
    expect(b.detail).toContain(w.metrics[0].id);
    expect(invisible.body.replaceAll(w.metrics[0].id, '<id>')).toBe(
      unknown.body.replaceAll('met_doesnotexist', '<id>'),
    );
    expect(await subCount()).toBe(0);
  });
});

describe('GET /api/subscriptions', () => {
  it('When two users have subscriptions, then each lists only their own', async () => {
    const mine = await acrossTwoSites();
    const theirs = (await create(w.viewer, { name: 'Viewer set', metricIds: [w.metrics[1].id] })).json();
    const list = await injectAs(app, w.technician, { method: 'GET', url: '/api/subscriptions' });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      items: [expect.objectContaining({ id: mine.id, name: 'Both batteries', metricCount: 2 })],
      nextCursor: null,
    });
    expect(ids((await injectAs(app, w.viewer, { method: 'GET', url: '/api/subscriptions' })).json().items)).toEqual([
      theirs.id,
    ]);
    expect((await injectAs(app, w.outsider, { method: 'GET', url: '/api/subscriptions' })).json().items).toEqual([]);
  });
});

describe('Subscriptions belong to their owner', () => {
  it('When another user (even an admin) reads, changes, deletes, queries or streams it, then each gets the same 404 as a missing id', async () => {
    const sub = await acrossTwoSites();
    const missing = await get(w.viewer, 'sub_doesnotexist');
    for (const user of [w.viewer, w.admin]) {
      const calls = [
        { method: 'GET' as const, url: `/api/subscriptions/${sub.id}` },
        { method: 'PATCH' as const, url: `/api/subscriptions/${sub.id}`, payload: { name: 'Mine now' } },
        { method: 'DELETE' as const, url: `/api/subscriptions/${sub.id}` },
        { method: 'GET' as const, url: `/api/subscriptions/${sub.id}/timeseries` },
        { method: 'GET' as const, url: `/api/subscriptions/${sub.id}/stream` },
      ];
      for (const call of calls) {
        const res = await injectAs(app, user, call);
        expect(expectProblem(res, 404, 'SUBSCRIPTION_NOT_FOUND').detail).toBe(missing.json().detail);
      }
    }
    expect((await get(w.technician, sub.id)).json()).toMatchObject({ name: 'Both batteries', metricCount: 2 });
  });
});

describe('PATCH /api/subscriptions/:subscriptionId', () => {
  it('When the owner renames it, then only the name changes', async () => {
    const sub = await acrossTwoSites();
    const res = await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/subscriptions/${sub.id}`,
      payload: { name: 'Storage' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Storage', metricCount: 2 });
    expect(ids((await get(w.technician, sub.id)).json().metrics)).toEqual([w.metrics[0].id, twin.metrics[0].id]);
  });

  it('When the owner replaces the metric set, then the subscription has exactly the new set', async () => {
    const sub = await acrossTwoSites();
    const res = await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/subscriptions/${sub.id}`,
      payload: { metricIds: [twin.metrics[1].id, w.metrics[1].id] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(ids(res.json().metrics)).toEqual([twin.metrics[1].id, w.metrics[1].id]);
    expect(res.json().name).toBe('Both batteries');
  });

  it('When the new set names an invisible metric, then it gets 422 and the old set is kept', async () => {
    const sub = await acrossTwoSites();
    const other = await wideDevice(w.otherSite.id, 1, 'Elsewhere');
    const res = await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/subscriptions/${sub.id}`,
      payload: { metricIds: [other.metrics[0].id] },
    });
    expectInvalid(res, '/metricIds/0');
    expect(ids((await get(w.technician, sub.id)).json().metrics)).toEqual([w.metrics[0].id, twin.metrics[0].id]);
  });
});

describe('DELETE /api/subscriptions/:subscriptionId', () => {
  it('When the owner deletes it, then it gets 204 and it is gone', async () => {
    const sub = await acrossTwoSites();
    expect(
      (await injectAs(app, w.technician, { method: 'DELETE', url: `/api/subscriptions/${sub.id}` })).statusCode,
    ).toBe(204);
    expectProblem(await get(w.technician, sub.id), 404, 'SUBSCRIPTION_NOT_FOUND');
    expect(await subCount()).toBe(0);
  });
});

describe('Access is checked again at every read', () => {
  it("When the owner is removed from one site, then that site's metrics move to unavailable in GET, timeseries and CSV", async () => {
    const sub = await acrossTwoSites();
    await injectAs(app, w.admin, {
      method: 'POST',
      url: '/api/readings',
      payload: {
        readings: [w.metrics[0].id, twin.metrics[0].id].map((metricId, i) => ({
          metricId,
          timestamp: new Date(T0).toISOString(),
          value: 10 + i,
        })),
      },
    });
    const removed = await injectAs(app, w.admin, {
      method: 'DELETE',
      url: `/api/sites/${twin.site.id}/members/${w.technician.id}`,
    });
    expect(removed.statusCode).toBe(204);

    const body = (await get(w.technician, sub.id)).json();
    expect(ids(body.metrics)).toEqual([w.metrics[0].id]);
    expect(body.unavailable).toEqual([twin.metrics[0].id]);
    expect(JSON.stringify(body)).not.toContain('Twin');
    const list = (await injectAs(app, w.technician, { method: 'GET', url: '/api/subscriptions' })).json();
    expect(list.items[0].metricCount).toBe(body.metricCount);

    const window = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 3_600_000).toISOString()}&interval=1h`;
    const ts = (
      await injectAs(app, w.technician, { method: 'GET', url: `/api/subscriptions/${sub.id}/timeseries?${window}` })
    ).json();
    expect(ts.series.map((s: { metricId: string }) => s.metricId)).toEqual([w.metrics[0].id]);
    expect(ts.series[0].values).toEqual([10]);
    expect(ts.unavailable).toEqual([twin.metrics[0].id]);

    const csv = await injectAs(app, w.technician, {
      method: 'GET',
      url: `/api/subscriptions/${sub.id}/timeseries?${window}&format=csv`,
    });
    expect(csv.body.split('\r\n')[0]).toBe('timestamp,Main Site / Main Battery / State of charge (%) [avg]');
    expect(csv.body).not.toContain('Twin');
    expect(csv.body.split('\r\n')[1]).toBe(`${new Date(T0).toISOString()},10`);
  });

  it('When the owner gets the membership back, then the metrics are available again', async () => {
    const sub = await acrossTwoSites();
    await injectAs(app, w.admin, { method: 'DELETE', url: `/api/sites/${twin.site.id}/members/${w.technician.id}` });
    await injectAs(app, w.admin, {
      method: 'PUT',
      url: `/api/sites/${twin.site.id}/members/${w.technician.id}`,
      payload: { role: 'viewer' },
    });
    const body = (await get(w.technician, sub.id)).json();
    expect(ids(body.metrics)).toEqual([w.metrics[0].id, twin.metrics[0].id]);
    expect(body.unavailable).toEqual([]);
  });

  it('When a device is deleted, then its metrics leave the subscription', async () => {
    const sub = (
      await create(w.technician, {
        name: 'Three',
        metricIds: [w.metrics[0].id, twin.metrics[0].id, twin.metrics[1].id],
      })
    ).json();
    expect(
      (await injectAs(app, w.technician, { method: 'DELETE', url: `/api/devices/${twin.device.id}` })).statusCode,
    ).toBe(204);
    const body = (await get(w.technician, sub.id)).json();
    expect(body).toMatchObject({ metricCount: 1, unavailable: [] });
    expect(ids(body.metrics)).toEqual([w.metrics[0].id]);
    const list = (await injectAs(app, w.technician, { method: 'GET', url: '/api/subscriptions' })).json();
    expect(list.items[0].metricCount).toBe(1);
  });
});
