// One large time-series answer (a subscription of 1,000 metrics) must neither stall other clients nor grow without bound.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { STREAM_FROM_CELLS } from '../../src/routes/api/series-reply.js';
import { collectSeries, MAX_SERIES_CELLS, toCsv } from '../../src/services/timeseries.js';
import { buildTestApp, createUser, createWorld, addMember, type TestUser } from '../helpers/app.js';
import type { World } from '../routes/api/support.js';

const MINUTE = 60_000;
const FROM = Date.parse('2026-01-05T00:00:00Z');
const METRICS = 1_000;

let app: App;
let w: World;
let base: string;
let subscriptionId: string;
let bystander: TestUser;

/** 1,000 gauges on two devices, each with a reading every ten minutes over the first two days. */
beforeAll(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  bystander = await createUser(app);
  await addMember(app, w.site.id, bystander.id, 'viewer');
  const ids: string[] = [];
  for (const rack of ['Rack A', 'Rack B']) {
    const metrics = Array.from({ length: METRICS / 2 }, (_, i) => ({
      key: `m_${i}`,
      name: `M ${i}`,
      unit: 'kW',
      kind: 'gauge' as const,
      intervalSeconds: 60,
    }));
    const device = await app.repos.devices.create(
      w.site.id,
      { name: rack, type: 'other', manufacturer: null, model: null, serialNumber: null },
      metrics,
      null,
    );
    for (const m of device.metrics) {
      ids.push(m.id);
      const rows = Array.from({ length: 288 }, (_, k) => ({
        metricPk: m.pk,
        ts: FROM + k * 10 * MINUTE,
        value: k % 17,
      }));
      await app.repos.readings.ingest(rows);
    }
  }
  const sub = await app.services.subscriptions.create(technician(), { name: 'Everything', metricIds: ids });
  subscriptionId = sub.id;
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(() => app.close());

const technician = () => ({
  id: w.technician.id,
  email: '',
  name: '',
  isAdmin: false,
  roles: new Map([[w.site.id, 'technician' as const]]),
});

const get = (user: TestUser, path: string) =>
  fetch(`${base}${path}`, { headers: { authorization: `Bearer ${user.token}` } });

const window = (minutes: number) =>
  `from=${new Date(FROM).toISOString()}&to=${new Date(FROM + minutes * MINUTE).toISOString()}&interval=1m&maxPoints=10000`;

describe('GET /api/subscriptions/:id/timeseries, large', () => {
  it('When 1,000 metrics × 10,000 one-minute buckets are asked for, then it gets 400 SERIES_TOO_LARGE at once, naming the sizes', async () => {
    const started = performance.now();
    const res = await get(w.technician, `/api/subscriptions/${subscriptionId}/timeseries?${window(10_000)}`);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = await res.json();
    expect(problem.code).toBe('SERIES_TOO_LARGE');
    expect(problem.detail).toContain('10,000,000 values (1,000 metrics × 10,000 buckets)');
    expect(problem.detail).toContain(MAX_SERIES_CELLS.toLocaleString('en-US'));
  });

  it('When 1,000 metrics × 2,000 buckets (the bound) are streamed, then a second client’s small requests keep a p99 under 200 ms', async () => {
    const buckets = 2_000;
    expect(METRICS * buckets).toBeLessThanOrEqual(MAX_SERIES_CELLS);
    // The answer is read as text and parsed after the measurement: this process is the server too,
    // and parsing megabytes here would be counted as the server's delay.
    let done = false;
    const big = (async () => {
      const res = await get(w.technician, `/api/subscriptions/${subscriptionId}/timeseries?${window(buckets)}`);
      const text = await res.text();
      done = true;
      return { status: res.status, text };
    })();
    const latencies: number[] = [];
    while (!done) {
      const started = performance.now();
      const res = await get(bystander, `/api/metrics/${w.metrics[0].id}`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      expect(res.status).toBe(200);
    }
    const { status, text } = await big;
    expect(status).toBe(200);
    const body = JSON.parse(text);
    expect(body.timestamps).toHaveLength(buckets);
    expect(body.series).toHaveLength(METRICS);
    expect(body.series[999].values).toHaveLength(buckets);
    expect(body.series[999].values.slice(0, 11)).toEqual([0, ...Array(9).fill(null), 1]);
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1];
    expect(latencies.length).toBeGreaterThan(20);
    expect(p99, `p99 of ${latencies.length} requests`).toBeLessThan(200);
  }, 30_000);

  it('When an answer is large enough to be streamed, then its JSON and CSV are exactly those of the answer built whole', async () => {
    const q = {
      from: new Date(FROM).toISOString(),
      to: new Date(FROM + 60 * MINUTE).toISOString(),
      interval: '1m' as const,
    };
    expect(METRICS * 60).toBeGreaterThan(STREAM_FROM_CELLS);
    const whole = await collectSeries(await app.services.timeseries.forSubscription(technician(), subscriptionId, q));
    const path = `/api/subscriptions/${subscriptionId}/timeseries?from=${q.from}&to=${q.to}&interval=1m`;
    const json = await get(w.technician, path);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await json.json()).toEqual(whole);
    const csv = await get(w.technician, `${path}&format=csv`);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="subscription-${subscriptionId}.csv"`);
    expect(await csv.text()).toBe(toCsv(whole));
    const head = await fetch(`${base}${path}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${w.technician.token}` },
    });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
