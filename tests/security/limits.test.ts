// Limits: body size (413), list limit, batch limit, window and points, open streams.
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp, createWorld, injectAs } from '../helpers/app.js';
import { expectProblem, type World } from '../routes/api/support.js';
import { sqlOf } from '../helpers/sql.js';

let app: App;
let w: World;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const MiB = 1024 * 1024;

describe('Request limits', () => {
  it('When a readings body is over 2 MiB, then it gets 413 problem+json and nothing is stored', async () => {
    const reading = { metricId: w.metrics[0].id, timestamp: '2026-01-01T00:00:00Z', value: 1 };
    const readings = Array.from({ length: Math.ceil((2 * MiB) / JSON.stringify(reading).length) + 10 }, () => reading);
    const res = await injectAs(app, w.technician, { method: 'POST', url: '/api/readings', payload: { readings } });
    expectProblem(res, 413, 'BODY_TOO_LARGE');
    expect(await sqlOf(app).value('SELECT count(*) AS n FROM readings')).toBe(0);
  });

  it('When a site body is over 1 MiB (the default limit), then it gets 413; just under goes on to validation (422)', async () => {
    const big = await injectAs(app, w.admin, {
      method: 'POST',
      url: '/api/sites',
      payload: { name: 'x', description: 'y'.repeat(MiB) },
    });
    expectProblem(big, 413, 'BODY_TOO_LARGE');
    const under = await injectAs(app, w.admin, {
      method: 'POST',
      url: '/api/sites',
      payload: { name: 'x', description: 'y'.repeat(MiB - 100) },
    });
    expectProblem(under, 422, 'VALIDATION_FAILED');
  });

  it('When a list asks for limit=201 (or 0), then it gets 400; 200 is accepted', async () => {
    for (const url of [
      '/api/sites?limit=201',
      '/api/sites?limit=0',
      '/api/users?limit=201',
      `/api/sites/${w.site.id}/devices?limit=201`,
      '/api/subscriptions?limit=201',
    ]) {
      expectProblem(await injectAs(app, w.admin, { method: 'GET', url }), 400, 'VALIDATION_FAILED');
    }
    expect((await injectAs(app, w.admin, { method: 'GET', url: '/api/sites?limit=200' })).statusCode).toBe(200);
  });

  it('When a batch has 10,001 readings, then it gets 422 with a message naming the limit', async () => {
    const readings = Array.from({ length: 10_001 }, (_, i) => ({
      metricId: w.metrics[0].id,
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      value: i,
    }));
    const body = expectProblem(
      await injectAs(app, w.technician, { method: 'POST', url: '/api/readings', payload: { readings } }),
      422,
      'VALIDATION_FAILED',
    );
    expect(body.detail).toMatch(/10000/);
  });

  it('When a signed-in viewer posts 100,000 (or 1,000,000) zeros as readings, then it gets 422 naming the limit within seconds (it stalled the server for over 30 s)', async () => {
    for (const n of [100_000, 1_000_000]) {
      const payload = `{"readings":[${new Array(n).fill('0').join(',')}]}`;
      const started = Date.now();
      const res = await injectAs(app, w.viewer, {
        method: 'POST',
        url: '/api/readings',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      const body = expectProblem(res, 422, 'VALIDATION_FAILED');
      expect(Date.now() - started, `${n} zeros`).toBeLessThan(3_000);
      expect(body.errors![0]).toEqual({ path: '/readings', message: 'must have at most 10000 items' });
      expect(body.detail).toMatch(/too large to look for every error/);
      expect(res.body.length).toBeLessThan(1_000);
    }
  });

  it('When 10,000 readings have three fields of the wrong type each, then the 422 lists the first 100 errors and says there were 30,000', async () => {
    const readings = Array.from({ length: 10_000 }, () => ({ metricId: 1, timestamp: 2, value: 'x' }));
    const res = await injectAs(app, w.technician, { method: 'POST', url: '/api/readings', payload: { readings } });
    const body = expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(body.errors).toHaveLength(100);
    expect(body.errors!.slice(0, 3).map((e) => e.path)).toEqual([
      '/readings/0/metricId',
      '/readings/0/timestamp',
      '/readings/0/value',
    ]);
    expect(body.detail).toMatch(/\(100 of 30000 listed\)$/);
    expect(res.body.length).toBeLessThan(20_000);
  });

  it('When 10,000 readings name unknown metrics, then the 422 lists 100 of them and says how many readings are invalid', async () => {
    const readings = Array.from({ length: 10_000 }, (_, i) => ({
      metricId: `nope-${i}`,
      timestamp: '2026-01-01T00:00:00Z',
      value: 1,
    }));
    const res = await injectAs(app, w.technician, { method: 'POST', url: '/api/readings', payload: { readings } });
    const body = expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(body.errors).toHaveLength(100);
    expect(body.detail).toMatch(/^10000 of 10000 readings are invalid; nothing was stored \(100 of 10000 listed\)$/);
    expect(res.body.length).toBeLessThan(20_000);
  });

  it('When a time series asks for maxPoints=10001, a window over 10 years, or an interval beyond maxPoints, then it gets 400', async () => {
    const url = `/api/metrics/${w.metrics[0].id}/timeseries`;
    for (const q of [
      'maxPoints=10001',
      'from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      'from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&interval=1m&maxPoints=100',
    ]) {
      const res = await injectAs(app, w.technician, { method: 'GET', url: `${url}?${q}` });
      expect(res.statusCode, `${q}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('When a user opens an 11th stream, then it gets 429 problem+json', async () => {
    const sub = await injectAs(app, w.technician, {
      method: 'POST',
      url: '/api/subscriptions',
      payload: { name: 'S', metricIds: [w.metrics[0].id] },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const open = () =>
      new Promise<{ status: number; body: Promise<string>; close: () => void }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: `/api/subscriptions/${sub.json().id}/stream`,
            headers: { authorization: `Bearer ${w.technician.token}` },
            agent: false,
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (c: string) => (text += c));
            resolve({
              status: res.statusCode!,
              body: new Promise((r) => res.on('end', () => r(text))),
              close: () => req.destroy(),
            });
          },
        );
        req.on('error', reject).end();
      });
    const streams = [];
    for (let i = 0; i < 10; i++) streams.push(await open());
    expect(streams.map((s) => s.status)).toEqual(Array(10).fill(200));
    const eleventh = await open();
    expect(eleventh.status).toBe(429);
    expect(JSON.parse(await eleventh.body)).toMatchObject({ status: 429, code: 'TOO_MANY_STREAMS' });
    for (const s of streams) s.close();
  });

  it("When a path parameter is longer than 100 characters or badly percent-encoded, then it gets a 400 problem, not Fastify's own JSON", async () => {
    for (const url of [
      `/api/sites/${'x'.repeat(150)}`,
      '/api/sites/%E0%A4%A',
      `/api/devices/${'y'.repeat(500)}/metrics`,
    ]) {
      const res = await injectAs(app, w.admin, { method: 'GET', url });
      expectProblem(res, 400, 'BAD_REQUEST');
      expect(res.body).not.toContain('FST_ERR');
    }
  });
});
