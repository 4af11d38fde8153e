import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs, loginCookie, type TestUser } from '../../helpers/app.js';
import { expectInvalid, expectProblem, type World } from './support.js';
import { sqlRows } from '../../helpers/sql.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const [soc, power] = [0, 1];
const T0 = Date.parse('2026-01-15T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

interface Reading {
  metricId: string;
  timestamp: string;
  value: unknown;
  [extra: string]: unknown;
}

const post = (user: TestUser, readings: Reading[]) =>
  injectAs(app, user, { method: 'POST', url: '/api/readings', payload: { readings } });
const stored = () =>
  sqlRows<{ metric_pk: number; ts: number; value: number }>(
    app,
    'SELECT metric_pk, ts, value FROM readings ORDER BY metric_pk, ts',
  );
const latestOf = async (metricId: string) =>
  (await injectAs(app, w.admin, { method: 'GET', url: `/api/metrics/${metricId}` })).json().latest;
const good = (minutes: number, value: number, metric = soc): Reading => ({
  metricId: w.metrics[metric].id,
  timestamp: at(minutes),
  value,
});

describe('POST /api/readings: validation', () => {
  it('When one reading in the batch is 10 minutes in the future, then the batch gets 422 naming index 1 and nothing is stored', async () => {
    const future = new Date(Date.now() + 10 * 60_000).toISOString();
    const res = await post(w.technician, [
      good(0, 50),
      { metricId: w.metrics[soc].id, timestamp: future, value: 51 },
      good(2, 52),
    ]);
    const body = expectInvalid(res, '/readings/1/timestamp');
    expect(body.errors).toEqual([{ path: '/readings/1/timestamp', message: expect.stringMatching(/future/) }]);
    expect(await stored()).toEqual([]);
    expect(await latestOf(w.metrics[soc].id)).toBeNull();
  });

  it('When a reading is 4 minutes in the future (clock skew), then it is accepted', async () => {
    const soon = new Date(Date.now() + 4 * 60_000).toISOString();
    const res = await post(w.technician, [{ metricId: w.metrics[soc].id, timestamp: soon, value: 1 }]);
    expect(res.statusCode, res.body).toBe(200);
  });

  it('When several readings are invalid for different reasons, then the 422 lists each index with its reason', async () => {
    const res = await post(w.technician, [
      good(0, 1),
      { metricId: 'met_doesnotexist', timestamp: at(1), value: 2 },
      { metricId: w.metrics[soc].id, timestamp: '2026-01-15 10:02', value: 3 },
      { metricId: w.metrics[soc].id, timestamp: '2026-01-15T10:03:00', value: 4 },
      { metricId: w.metrics[soc].id, timestamp: '2026-02-30T10:00:00Z', value: 5 },
      good(5, 6),
    ]);
    const body = expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(body.errors!.map((e) => e.path)).toEqual([
      '/readings/1/metricId',
      '/readings/2/timestamp',
      '/readings/3/timestamp',
      '/readings/4/timestamp',
    ]);
    expect(body.errors![0].message).toContain('met_doesnotexist');
    expect(body.errors![2].message).toMatch(/zone/);
    expect(body.detail).toMatch(/4 of 6 readings are invalid; nothing was stored/);
    expect(await stored()).toEqual([]);
  });

  it('When a reading names a metric of a site the user cannot see, then the 422 is the same as for a metric that does not exist', async () => {
    const unknown = await post(w.outsider, [{ metricId: 'met_doesnotexist', timestamp: at(0), value: 1 }]);
    const invisible = await post(w.outsider, [{ metricId: w.metrics[soc].id, timestamp: at(0), value: 1 }]);
    expect(invisible.statusCode).toBe(422);
    const scrub = (body: string, id: string) => body.replaceAll(id, '<id>');
    expect(scrub(invisible.body, w.metrics[soc].id)).toBe(scrub(unknown.body, 'met_doesnotexist'));
    expect(await stored()).toEqual([]);
  });

  it('When a value is not a number, then it gets 422 naming the index and field', async () => {
    const res = await post(w.technician, [
      good(0, 1),
      { metricId: w.metrics[soc].id, timestamp: at(1), value: '42' },
      { metricId: w.metrics[soc].id, timestamp: at(2), value: null },
    ]);
    const body = expectInvalid(res, '/readings/1/value');
    expect(body.errors!.map((e) => e.path)).toEqual(['/readings/1/value', '/readings/2/value']);
    expect(await stored()).toEqual([]);
  });

  it('When a reading or the body carries an unknown field, then it gets 422 naming it', async () => {
    const res = await injectAs(app, w.technician, {
      method: 'POST',
      url: '/api/readings',
      payload: { readings: [good(0, 1), { ...good(1, 2), unit: '%' }], source: 'gw-1' },
    });
    const body = expectInvalid(res, '/readings/1/unit');
    expect(body.errors!.map((e) => e.path).sort()).toEqual(['/readings/1/unit', '/source']);
    expect(body.errors!.find((e) => e.path === '/source')!.message).toBe('is not an allowed field');
    expect(await stored()).toEqual([]);
  });

  it('When a batch has 10,001 readings, then it gets 422 and nothing is stored; 10,000 are accepted', async () => {
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        metricId: w.metrics[i % 2].id,
        timestamp: new Date(T0 + Math.floor(i / 2) * 1000).toISOString(),
        value: i,
      }));
    const tooMany = await post(w.technician, batch(10_001));
    expect(expectInvalid(tooMany, '/readings').errors![0].message).toMatch(/10000/);
    expect(await stored()).toEqual([]);
    const ok = await post(w.technician, batch(10_000));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ stored: 10_000 });
  });

  it('When the batch is empty, then it gets 422', async () => {
    expectInvalid(await post(w.technician, []), '/readings');
  });
});

describe('POST /api/readings: who may write', () => {
  it('When a viewer of the site sends readings, then it gets 403 and nothing is stored', async () => {
    expectProblem(await post(w.viewer, [good(0, 1)]), 403, 'FORBIDDEN');
    expect(await stored()).toEqual([]);
  });

  it('When a site technician sends readings with a session cookie, then they are stored and the answer counts them', async () => {
    const cookie = await loginCookie(app, w.technician.email);
    const res = await app.inject({
      method: 'POST',
      url: '/api/readings',
      headers: { cookie },
      payload: { readings: [good(0, 1), good(1, 2), good(0, 40, power)] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ stored: 3 });
    expect(await stored()).toHaveLength(3);
  });

  it('When an admin (not a member) sends readings, then they are stored', async () => {
    const res = await post(w.admin, [good(0, 1)]);
    expect(res.json()).toEqual({ stored: 1 });
    expect(await stored()).toEqual([{ metric_pk: expect.any(Number), ts: T0, value: 1 }]);
  });

  it('When anonymous, then it gets 401', async () => {
    expectProblem(
      await app.inject({ method: 'POST', url: '/api/readings', payload: { readings: [good(0, 1)] } }),
      401,
      'UNAUTHENTICATED',
    );
    expect(await stored()).toEqual([]);
  });
});

describe('POST /api/readings: storage', () => {
  it('When a gateway re-sends the same metric and timestamp with a new value, then the value is replaced, not duplicated', async () => {
    await post(w.technician, [good(0, 10), good(1, 11)]);
    const again = await post(w.technician, [good(1, 99)]);
    expect(again.json()).toEqual({ stored: 1 });
    expect((await stored()).map((r) => r.value)).toEqual([10, 99]);
    expect(await latestOf(w.metrics[soc].id)).toMatchObject({ value: 99, timestamp: at(1) });
  });

  it('When the same metric and timestamp appear twice in one batch, then the later one wins', async () => {
    await post(w.technician, [good(0, 1), good(0, 2)]);
    expect((await stored()).map((r) => r.value)).toEqual([2]);
  });

  it('When a newer reading arrives before an older one, then latest stays on the newest by timestamp', async () => {
    await post(w.technician, [good(30, 70)]);
    await post(w.technician, [good(10, 20)]);
    expect(await latestOf(w.metrics[soc].id)).toMatchObject({ value: 70, unit: '%', timestamp: at(30) });
    expect(await stored()).toHaveLength(2);
  });

  it('When a batch is refused, then an earlier latest value is unchanged', async () => {
    await post(w.technician, [good(0, 5)]);
    const before = await latestOf(w.metrics[soc].id);
    const res = await post(w.technician, [good(60, 6), { metricId: 'met_nope', timestamp: at(61), value: 7 }]);
    expect(res.statusCode).toBe(422);
    expect(await latestOf(w.metrics[soc].id)).toEqual(before);
    expect((await stored()).map((r) => r.value)).toEqual([5]);
  });

  it('When readings are ingested, then the hourly roll-ups answer interval=1h with the averages of each hour', async () => {
    await post(w.technician, [good(0, 1), good(20, 2), good(40, 6), good(70, 10)]);
    // Out of order and replacing one: the roll-up of the first hour is rebuilt.
    await post(w.technician, [good(50, 11), good(20, 4)]);
    const res = await injectAs(app, w.viewer, {
      method: 'GET',
      url: `/api/metrics/${w.metrics[soc].id}/timeseries?from=${at(0)}&to=${at(180)}&interval=1h&agg=avg`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().timestamps).toEqual([at(0), at(60), at(120)]);
    expect(res.json().series[0].values).toEqual([(1 + 4 + 6 + 11) / 4, 10, null]);
  });
});
