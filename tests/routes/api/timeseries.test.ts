import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { AGGREGATIONS, type Aggregation } from '../../../src/timeseries/aggregate.js';
import { buildTestApp, createDevice, createSite, createWorld, injectAs } from '../../helpers/app.js';
import { expectProblem, type World } from './support.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const utc = (s: string) => Date.parse(`${s}Z`);

async function ingest(metricId: string, points: [string, number][]) {
  const readings = points.map(([timestamp, value]) => ({ metricId, timestamp, value }));
  const res = await injectAs(app, w.admin, { method: 'POST', url: '/api/readings', payload: { readings } });
  expect(res.statusCode, res.body).toBe(200);
}

const series = (metricId: string, query: string, headers: Record<string, string> = {}) =>
  injectAs(app, w.viewer, { method: 'GET', url: `/api/metrics/${metricId}/timeseries?${query}`, headers });

async function values(metricId: string, query: string) {
  const res = await series(metricId, query);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    timestamps: string[];
    interval: string;
    agg: string;
    tz: string;
    from: string;
    to: string;
    series: { agg: string; values: (number | null)[] }[];
  };
}

describe('GET /api/metrics/:metricId/timeseries: aggregations on hand-made data', () => {
  // Hour 10: 4, 2, 9. Hour 11: nothing. Hour 12: 7.
  const gauge: [string, number][] = [
    ['2026-01-15T10:05:00Z', 4],
    ['2026-01-15T10:15:00Z', 2],
    ['2026-01-15T10:45:00Z', 9],
    ['2026-01-15T12:30:00Z', 7],
  ];
  const window = 'from=2026-01-15T10:00:00Z&to=2026-01-15T13:00:00Z&interval=1h&tz=UTC';
  const expected: Record<Exclude<Aggregation, 'delta'>, (number | null)[]> = {
    avg: [5, null, 7],
    min: [2, null, 7],
    max: [9, null, 7],
    sum: [15, null, 7],
    count: [3, 0, 1],
    first: [4, null, 7],
    last: [9, null, 7],
  };

  for (const [agg, want] of Object.entries(expected)) {
    it(`When agg=${agg} is asked for hourly buckets, then each bucket has the known ${agg} and an empty hour is ${agg === 'count' ? '0' : 'null'}`, async () => {
      await ingest(w.metrics[0].id, gauge);
      const body = await values(w.metrics[0].id, `${window}&agg=${agg}`);
      expect(body.timestamps).toEqual([
        '2026-01-15T10:00:00.000Z',
        '2026-01-15T11:00:00.000Z',
        '2026-01-15T12:00:00.000Z',
      ]);
      expect(body).toMatchObject({ interval: '1h', agg, tz: 'UTC' });
      expect(body.series[0]).toMatchObject({ agg, values: want });
    });
  }

  it('When a counter drops (a meter reset), then delta counts from 0 after the drop and includes the step from the reading before the window', async () => {
    const { metrics } = await createDevice(app, w.site.id, { name: 'Meter', type: 'meter' });
    const energy = metrics.find((m) => m.key === 'import_energy')!;
    await ingest(energy.id, [
      ['2026-01-15T09:50:00Z', 100],
      ['2026-01-15T10:10:00Z', 103],
      ['2026-01-15T10:40:00Z', 110],
      ['2026-01-15T11:20:00Z', 2],
      ['2026-01-15T11:50:00Z', 5],
    ]);
    const body = await values(energy.id, window);
    expect(body.agg).toBe('default');
    expect(body.series[0]).toMatchObject({ agg: 'delta', values: [10, 5, null] });
    // The raw path (15 min buckets) credits each increase to the bucket of the later reading.
    const fine = await values(energy.id, 'from=2026-01-15T10:00:00Z&to=2026-01-15T12:00:00Z&interval=15m&tz=UTC');
    expect(fine.series[0].values).toEqual([3, null, 7, null, null, 2, null, 3]);
  });

  it('When the window starts inside a bucket, then the first timestamp is the start of that bucket', async () => {
    await ingest(w.metrics[0].id, gauge);
    const body = await values(
      w.metrics[0].id,
      'from=2026-01-15T10:30:00Z&to=2026-01-15T12:10:00Z&interval=1h&tz=UTC&agg=count',
    );
    expect(body.timestamps).toEqual([
      '2026-01-15T10:00:00.000Z',
      '2026-01-15T11:00:00.000Z',
      '2026-01-15T12:00:00.000Z',
    ]);
    expect(body.series[0].values).toEqual([3, 0, 1]);
  });

  it('When the same data is read by the roll-up path (1h) and the raw path (15m), then the totals agree', async () => {
    await ingest(w.metrics[0].id, gauge);
    const q = 'from=2026-01-15T10:00:00Z&to=2026-01-15T13:00:00Z&tz=UTC&agg=sum';
    const hourly = (await values(w.metrics[0].id, `${q}&interval=1h`)).series[0].values;
    const quarter = (await values(w.metrics[0].id, `${q}&interval=15m`)).series[0].values;
    expect(quarter).toEqual([4, 2, null, 9, null, null, null, null, null, null, 7, null]);
    expect(hourly).toEqual([15, null, 7]);
  });
});

describe('GET /api/metrics/:metricId/timeseries: calendars', () => {
  it('When interval=1d spans the spring DST change in Europe/Berlin, then 2026-03-29 lasts 23 hours and readings land on their local day', async () => {
    await ingest(w.metrics[0].id, [
      ['2026-03-28T23:30:00+01:00', 1], // Saturday, late evening
      ['2026-03-29T00:30:00+01:00', 10], // Sunday, just after midnight
      ['2026-03-29T23:30:00+02:00', 100], // Sunday, late evening (summer time)
      ['2026-03-30T00:30:00+02:00', 1000], // Monday
    ]);
    const body = await values(w.metrics[0].id, 'from=2026-03-27T23:00:00Z&to=2026-03-30T22:00:00Z&interval=1d&agg=sum');
    expect(body.tz).toBe('Europe/Berlin');
    expect(body.timestamps).toEqual([
      '2026-03-27T23:00:00.000Z',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
    expect(Date.parse(body.timestamps[2]) - Date.parse(body.timestamps[1])).toBe(23 * HOUR);
    expect(body.series[0].values).toEqual([1, 110, 1000]);
  });

  it('When interval=1d spans the autumn DST change in Europe/Berlin, then 2026-10-25 lasts 25 hours and both 02:30s count to it', async () => {
    await ingest(w.metrics[0].id, [
      ['2026-10-24T23:30:00+02:00', 1],
      ['2026-10-25T02:30:00+02:00', 10], // first 02:30
      ['2026-10-25T02:30:00+01:00', 100], // second 02:30, an hour later
      ['2026-10-25T23:30:00+01:00', 1000],
      ['2026-10-26T00:30:00+01:00', 10000],
    ]);
    const body = await values(
      w.metrics[0].id,
      'from=2026-10-23T22:00:00Z&to=2026-10-26T23:00:00Z&interval=1d&agg=sum&tz=Europe/Berlin',
    );
    expect(body.timestamps).toEqual([
      '2026-10-23T22:00:00.000Z',
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
    ]);
    expect(Date.parse(body.timestamps[2]) - Date.parse(body.timestamps[1])).toBe(25 * HOUR);
    expect(body.series[0].values).toEqual([1, 1110, 10000]);
  });

  it('When interval=1mo crosses month ends, then each reading lands in its local month', async () => {
    await ingest(w.metrics[0].id, [
      ['2026-01-31T23:59:00+01:00', 1], // still January in Berlin (22:59 UTC)
      ['2026-02-01T00:00:00+01:00', 10], // February in Berlin, January in UTC
      ['2026-02-28T23:30:00+01:00', 100],
      ['2026-03-01T00:00:00+01:00', 1000],
    ]);
    const body = await values(
      w.metrics[0].id,
      'from=2025-12-31T23:00:00Z&to=2026-03-31T22:00:00Z&interval=1mo&agg=sum',
    );
    expect(body.timestamps).toEqual([
      '2025-12-31T23:00:00.000Z',
      '2026-01-31T23:00:00.000Z',
      '2026-02-28T23:00:00.000Z',
    ]);
    expect(body.series[0].values).toEqual([1, 110, 1000]);
    const inUtc = await values(
      w.metrics[0].id,
      'from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z&interval=1mo&agg=sum&tz=UTC',
    );
    expect(inUtc.timestamps).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
    // In UTC, Berlin's first minute of March is still 28 February.
    expect(inUtc.series[0].values).toEqual([11, 1100, null]);
  });
});

describe('GET /api/metrics/:metricId/timeseries: interval choice and limits', () => {
  const day = 'from=2026-01-15T00:00:00Z&to=2026-01-16T00:00:00Z';

  it('When interval=auto, then the smallest interval within maxPoints is chosen and said', async () => {
    const cases: [number | undefined, string, number][] = [
      [undefined, '5m', 288],
      [1440, '1m', 1440],
      [288, '5m', 288],
      [287, '15m', 96],
      [96, '15m', 96],
      [95, '1h', 24],
      [23, '1d', 2],
    ];
    for (const [maxPoints, interval, n] of cases) {
      const body = await values(
        w.metrics[0].id,
        `${day}&interval=auto${maxPoints ? `&maxPoints=${maxPoints}` : ''}&tz=UTC`,
      );
      expect({ maxPoints, interval: body.interval, n: body.timestamps.length }).toEqual({
        maxPoints,
        interval,
        n: n === 2 ? 1 : n,
      });
    }
  });

  it('When an explicit interval gives more buckets than maxPoints, then it gets 400 that says so', async () => {
    const body = expectProblem(await series(w.metrics[0].id, `${day}&interval=1m`), 400, 'BAD_REQUEST');
    expect(body.detail).toMatch(/maxPoints \(1000\)/);
    expect(body.errors).toEqual([{ path: '/interval', message: expect.any(String) }]);
    expect((await series(w.metrics[0].id, `${day}&interval=1m&maxPoints=1440`)).statusCode).toBe(200);
  });

  it('When from is after to, then it gets 400 that says so', async () => {
    expect(
      expectProblem(
        await series(w.metrics[0].id, 'from=2026-01-16T00:00:00Z&to=2026-01-15T00:00:00Z'),
        400,
        'BAD_REQUEST',
      ).detail,
    ).toMatch(/from must be before to/);
  });

  it('When the window is longer than 10 years, then it gets 400 that says so', async () => {
    expect(
      expectProblem(
        await series(w.metrics[0].id, 'from=2016-01-01T00:00:00Z&to=2026-01-02T00:00:00Z'),
        400,
        'BAD_REQUEST',
      ).detail,
    ).toMatch(/10 years/);
    expect(
      (await series(w.metrics[0].id, 'from=2016-01-02T00:00:00Z&to=2026-01-01T00:00:00Z&interval=auto')).statusCode,
    ).toBe(200);
  });

  it('When the window lies in years 0000 to 0099 (or 9999), then day and month buckets answer 200 on local calendar edges (they were 500)', async () => {
    const cases: [string, string, string, string[]][] = [
      ['0000-01-01T00:00:00Z', '0000-04-01T00:00:00Z', '1mo', ['0000-01-01', '0000-02-01', '0000-03-01']],
      ['0000-02-27T00:00:00Z', '0000-03-02T00:00:00Z', '1d', ['0000-02-27', '0000-02-28', '0000-02-29', '0000-03-01']],
      ['0050-11-01T00:00:00Z', '0051-02-01T00:00:00Z', '1mo', ['0050-11-01', '0050-12-01', '0051-01-01']],
      ['0099-12-01T00:00:00Z', '0100-02-01T00:00:00Z', '1mo', ['0099-12-01', '0100-01-01']],
      ['9999-11-01T00:00:00Z', '9999-12-31T23:59:59Z', '1mo', ['9999-11-01', '9999-12-01']],
    ];
    for (const [from, to, interval, days] of cases) {
      const body = await values(w.metrics[0].id, `from=${from}&to=${to}&interval=${interval}&tz=UTC`);
      expect(body.timestamps, from).toEqual(days.map((d) => `${d}T00:00:00.000Z`));
      expect(body.series[0].values.every((v) => v === null)).toBe(true);
    }
    // In a zone, the month starts at local midnight (New York's local mean time, -4:56:02 then).
    const ny = await values(
      w.metrics[0].id,
      'from=0050-01-01T00:00:00Z&to=0050-03-01T00:00:00Z&interval=1mo&tz=America/New_York',
    );
    expect(ny.timestamps).toEqual(['0049-12-01T04:56:02.000Z', '0050-01-01T04:56:02.000Z', '0050-02-01T04:56:02.000Z']);
  });

  it('When the time zone is unknown, then it gets 400 naming it', async () => {
    const body = expectProblem(await series(w.metrics[0].id, `${day}&tz=Mars/Olympus_Mons`), 400, 'BAD_REQUEST');
    expect(body.detail).toContain('Mars/Olympus_Mons');
  });

  it('When maxPoints is 0 or 10001, or the interval or agg is unknown, then it gets 400', async () => {
    for (const q of ['maxPoints=0', 'maxPoints=10001', 'interval=2h', 'agg=median', 'from=yesterday']) {
      const res = await series(w.metrics[0].id, q);
      expect(res.statusCode, q).toBe(400);
    }
    expect((await series(w.metrics[0].id, 'maxPoints=10000')).statusCode).toBe(200);
  });

  it('When no window is given, then it is the last 24 hours and the answer says interval and agg', async () => {
    const before = Date.now();
    const body = await values(w.metrics[0].id, '');
    const after = Date.now();
    const to = Date.parse(body.to);
    expect(to).toBeGreaterThanOrEqual(before);
    expect(to).toBeLessThanOrEqual(after);
    expect(to - Date.parse(body.from)).toBe(24 * HOUR);
    expect(body).toMatchObject({ interval: '5m', agg: 'default', tz: 'Europe/Berlin' });
    expect(body.series[0].agg).toBe('avg');
    expect(body.timestamps.length).toBeLessThanOrEqual(289);
  });

  it('When the metric is of a site the user cannot see, then it gets the same 404 as an unknown metric', async () => {
    const hidden = await injectAs(app, w.outsider, {
      method: 'GET',
      url: `/api/metrics/${w.metrics[0].id}/timeseries`,
    });
    const unknown = await injectAs(app, w.outsider, { method: 'GET', url: '/api/metrics/met_doesnotexist/timeseries' });
    expectProblem(hidden, 404, 'METRIC_NOT_FOUND');
    expect(hidden.body).toBe(unknown.body);
  });
});

describe('Time series as CSV', () => {
  const q = 'from=2026-01-15T10:00:00Z&to=2026-01-15T13:00:00Z&interval=1h&tz=UTC';

  it('When format=csv or Accept: text/csv is asked, then both give the same CSV attachment, one row per bucket, empty cells for no data', async () => {
    await ingest(w.metrics[0].id, [
      ['2026-01-15T10:05:00Z', 4],
      ['2026-01-15T10:15:00Z', 2.5],
      ['2026-01-15T12:30:00Z', 7],
    ]);
    const byFormat = await series(w.metrics[0].id, `${q}&format=csv`);
    const byAccept = await series(w.metrics[0].id, q, { accept: 'text/csv' });
    for (const res of [byFormat, byAccept]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="Main-Site-Main-Battery-soc\.csv"$/);
      expect(res.body).toBe(
        'timestamp,Main Site / Main Battery / State of charge (%) [avg]\r\n' +
          '2026-01-15T10:00:00.000Z,3.25\r\n' +
          '2026-01-15T11:00:00.000Z,\r\n' +
          '2026-01-15T12:00:00.000Z,7\r\n',
      );
    }
    // A client that prefers JSON gets JSON.
    expect(
      (await series(w.metrics[0].id, q, { accept: 'application/json, text/csv' })).headers['content-type'],
    ).toMatch(/^application\/json/);
  });

  it('When a subscription spans two sites, then the CSV has one column per metric named by site, device, metric, unit and agg', async () => {
    const site = await createSite(app, { name: 'Harbour, "North"' });
    await app.repos.sites.setMember(site.id, w.viewer.id, 'viewer', null);
    const { metrics } = await createDevice(app, site.id, { name: 'Meter 1', type: 'meter' });
    const sub = (
      await injectAs(app, w.viewer, {
        method: 'POST',
        url: '/api/subscriptions',
        payload: { name: 'Two', metricIds: [w.metrics[1].id, metrics[0].id] },
      })
    ).json();
    await ingest(metrics[0].id, [
      ['2026-01-15T10:00:00Z', 5],
      ['2026-01-15T10:30:00Z', 8],
    ]);
    const res = await injectAs(app, w.viewer, {
      method: 'GET',
      url: `/api/subscriptions/${sub.id}/timeseries?${q}&format=csv`,
    });
    expect(res.headers['content-disposition']).toBe(`attachment; filename="subscription-${sub.id}.csv"`);
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe(
      'timestamp,Main Site / Main Battery / Power (kW) [avg],"Harbour, ""North"" / Meter 1 / Import energy (kWh) [delta]"',
    );
    expect(lines.slice(1)).toEqual([
      '2026-01-15T10:00:00.000Z,,3',
      '2026-01-15T11:00:00.000Z,,',
      '2026-01-15T12:00:00.000Z,,',
      '',
    ]);
  });

  it('When a site name starts with "=", then the CSV header neutralises it (no spreadsheet formula)', async () => {
    const site = await createSite(app, { name: '=HYPERLINK("http://evil.example","x")' });
    await app.repos.sites.setMember(site.id, w.viewer.id, 'viewer', null);
    const { metrics } = await createDevice(app, site.id, { name: '+Device' });
    const res = await series(metrics[0].id, `${q}&format=csv`);
    const header = res.body.split('\r\n')[0];
    expect(header.startsWith('timestamp,"\'=HYPERLINK(')).toBe(true);
    for (const cell of header.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/))
      expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@]/);
  });
});

// ---- property: the API against a naive computation from the raw readings ----

const counterIncrease = (prev: number, next: number) => (next >= prev ? next - prev : next);

/** What a person would compute by hand: readings grouped by fixed UTC buckets of `len` ms. */
function naive(
  readings: [number, number][],
  start: number,
  n: number,
  len: number,
  agg: Aggregation,
): (number | null)[] {
  const sorted = [...readings].sort((a, b) => a[0] - b[0]);
  return Array.from({ length: n }, (_, i) => {
    const lo = start + i * len;
    const inside = sorted.filter(([t]) => t >= lo && t < lo + len);
    if (agg === 'count') return inside.length;
    if (inside.length === 0) return null;
    const vs = inside.map(([, v]) => v);
    switch (agg) {
      case 'avg':
        return vs.reduce((a, b) => a + b, 0) / vs.length;
      case 'sum':
        return vs.reduce((a, b) => a + b, 0);
      case 'min':
        return Math.min(...vs);
      case 'max':
        return Math.max(...vs);
      case 'first':
        return vs[0];
      case 'last':
        return vs[vs.length - 1];
      case 'delta': {
        let d = 0;
        for (const [t, v] of inside) {
          const k = sorted.findIndex(([u]) => u === t);
          if (k > 0) d += counterIncrease(sorted[k - 1][1], v);
        }
        return d;
      }
    }
  });
}

describe('Property: roll-ups and raw readings give the answer a person would compute', () => {
  it('When random readings over two days are read hourly and daily (roll-ups) and by 15 minutes (raw), then every aggregation equals the naive computation', async () => {
    const W0 = utc('2026-01-10T00:00:00');
    const reading = fc.tuple(
      fc.integer({ min: -3 * 60, max: 48 * 60 - 1 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 1000 }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(reading, { minLength: 0, maxLength: 120, selector: ([m, s]) => m * 60 + s }),
        async (raw) => {
          const { metrics } = await createDevice(app, w.site.id, { name: `Prop ${++run}` });
          const readings = raw.map(([m, s, v]): [number, number] => [W0 + m * 60_000 + s * 1000, v]);
          if (readings.length > 0)
            await ingest(
              metrics[0].id,
              readings.map(([t, v]) => [iso(t), v]),
            );
          for (const [interval, len, n] of [
            ['1h', HOUR, 48],
            ['1d', 24 * HOUR, 2],
            ['15m', 15 * 60_000, 192],
          ] as const) {
            for (const agg of AGGREGATIONS) {
              const body = await values(
                metrics[0].id,
                `from=${iso(W0)}&to=${iso(W0 + 48 * HOUR)}&interval=${interval}&agg=${agg}&tz=UTC`,
              );
              expect(body.timestamps.length).toBe(n);
              expect(body.series[0].values, `${interval} ${agg}`).toEqual(naive(readings, W0, n, len, agg));
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 90_000);

  it('When interval=auto meets any window and maxPoints, then the bucket count never exceeds maxPoints', async () => {
    const T = utc('2026-01-01T00:00:00');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 400 * 24 * 60 }),
        fc.integer({ min: 1, max: 3 * 365 * 24 * 60 }),
        fc.integer({ min: 4, max: 3000 }),
        async (offset, minutes, maxPoints) => {
          const from = T - offset * 60_000;
          const res = await series(
            w.metrics[0].id,
            `from=${iso(from)}&to=${iso(from + minutes * 60_000)}&maxPoints=${maxPoints}`,
          );
          if (res.statusCode === 400) {
            // Only when even months are too many.
            expect(res.json().detail).toMatch(/monthly/);
            return;
          }
          expect(res.json().timestamps.length).toBeLessThanOrEqual(maxPoints);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
