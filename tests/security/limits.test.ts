// Limits: body size (413), list limit, batch limit, window and points, open streams.
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp, createWorld, injectAs } from '../helpers/app.js';
import { expectProblem, type World } from '../routes/api/support.js';

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
    expect((app.db.$client.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n).toBe(0);
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
