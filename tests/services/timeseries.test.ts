import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Actor } from '../../src/services/policy.js';
import {
  collectSeries,
  csvCell,
  csvPieces,
  defaultAgg,
  resolveWindow,
  toCsv,
  type TimeSeries,
} from '../../src/services/timeseries.js';
import { buildTestApp, createDevice, createSite, createUser } from '../helpers/app.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-01-15T12:34:56.789Z');

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    return e as { statusCode: number; message: string; errors?: { path: string }[] };
  }
  throw new Error('expected a refusal');
}

describe('resolveWindow', () => {
  it('When nothing is given, then the window is the last 24 hours in the default zone, auto-bucketed within 1,000 points', () => {
    const win = resolveWindow({}, 'Europe/Berlin', NOW);
    expect(win).toMatchObject({ from: NOW - DAY, to: NOW, tz: 'Europe/Berlin', interval: '5m' });
    expect(win.starts.length).toBe(289); // the first bucket starts before `from`
    expect(win.starts[0]).toBeLessThanOrEqual(NOW - DAY);
    expect(win.end).toBeGreaterThanOrEqual(NOW);
  });

  it('When only `to` is given, then the window is the 24 hours before it', () => {
    expect(resolveWindow({ to: '2026-01-10T00:00:00Z' }, 'UTC', NOW)).toMatchObject({
      from: Date.parse('2026-01-09T00:00:00Z'),
      to: Date.parse('2026-01-10T00:00:00Z'),
    });
  });

  it('When from equals to, then it is refused with 400', () => {
    const err = refusal(() => resolveWindow({ from: '2026-01-10T00:00:00Z', to: '2026-01-10T00:00:00Z' }, 'UTC', NOW));
    expect(err).toMatchObject({ statusCode: 400, message: 'from must be before to' });
  });

  it('When the window is 3,653 days it is accepted; a millisecond more is refused', () => {
    const to = Date.parse('2026-01-01T00:00:00Z');
    expect(
      resolveWindow(
        {
          from: new Date(to - 3653 * DAY).toISOString(),
          to: new Date(to).toISOString(),
          interval: '1d',
          maxPoints: 10_000,
        },
        'UTC',
        NOW,
      ).starts,
    ).toHaveLength(3653);
    const err = refusal(() =>
      resolveWindow({ from: new Date(to - 3653 * DAY - 1).toISOString(), to: new Date(to).toISOString() }, 'UTC', NOW),
    );
    expect(err).toMatchObject({ statusCode: 400, message: expect.stringContaining('10 years') });
  });

  it('When even monthly buckets exceed maxPoints, then auto is refused with 400 that says so', () => {
    const err = refusal(() =>
      resolveWindow({ from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z', maxPoints: 12 }, 'UTC', NOW),
    );
    expect(err).toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('maxPoints (12)'),
      errors: [{ path: '/maxPoints' }],
    });
  });

  it('When an explicit interval fits exactly, then it is used', () => {
    const win = resolveWindow(
      { from: '2026-01-15T00:00:00Z', to: '2026-01-16T00:00:00Z', interval: '1h', maxPoints: 24 },
      'UTC',
      NOW,
    );
    expect(win.starts).toHaveLength(24);
    expect(() =>
      resolveWindow(
        { from: '2026-01-15T00:00:00Z', to: '2026-01-16T00:00:00Z', interval: '1h', maxPoints: 23 },
        'UTC',
        NOW,
      ),
    ).toThrow(/maxPoints \(23\)/);
  });
});

describe('defaultAgg', () => {
  it('When a metric is a counter, then the default is delta; otherwise avg', () => {
    expect(defaultAgg('counter')).toBe('delta');
    expect(defaultAgg('gauge')).toBe('avg');
  });
});

describe('resolveWindow over every timestamp the query accepts (property)', () => {
  const earliest = Date.parse('0000-01-01T00:00:00Z');
  const latest = Date.parse('9999-12-31T23:59:59Z');
  const early = Date.parse('0100-01-01T00:00:00Z');
  const instant = fc.oneof(fc.integer({ min: earliest, max: latest }), fc.integer({ min: earliest, max: early }));
  const span = fc.oneof(
    fc.integer({ min: -DAY, max: 3 * DAY }),
    fc.integer({ min: 0, max: 800 * DAY }),
    fc.integer({ min: 3600 * DAY, max: 3700 * DAY }),
  );

  it('When from and to are anywhere in years 0000 to 9999, then the window resolves or is refused with 400, never another error', () => {
    fc.assert(
      fc.property(
        instant,
        span,
        fc.constantFrom('auto', '1m', '15m', '1h', '1d', '1w', '1mo') as fc.Arbitrary<'auto'>,
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Apia'),
        fc.integer({ min: 1, max: 10_000 }),
        (from, len, interval, tz, maxPoints) => {
          const to = Math.min(from + len, latest);
          const q = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), interval, tz, maxPoints };
          let win;
          try {
            win = resolveWindow(q, 'UTC', NOW);
          } catch (e) {
            expect((e as { statusCode?: number }).statusCode, String(e)).toBe(400);
            return;
          }
          expect(win.starts.length).toBeGreaterThan(0);
          expect(win.starts.length).toBeLessThanOrEqual(maxPoints);
          expect(win.starts[0]).toBeLessThanOrEqual(from);
          // An answer's instants are ISO 8601 with four-digit years: no bucket may start before year 0000.
          expect(win.starts[0]).toBeGreaterThanOrEqual(earliest);
          expect(win.end).toBeGreaterThanOrEqual(to);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('When the window or its first bucket would start before year 0000, then it is refused with 400 naming from', () => {
    const cases = [
      { to: '0000-01-01T00:00:00Z' }, // the default window: the 24 hours before `to`
      { from: '0000-01-01T00:00:00Z', to: '0000-01-03T00:00:00Z', interval: '1d' as const, tz: 'America/New_York' },
      { from: '-000001-12-31T00:00:00Z', to: '0000-01-01T00:00:00Z' },
    ];
    for (const q of cases) {
      const err = refusal(() => resolveWindow(q, 'UTC', NOW));
      expect(err.statusCode, JSON.stringify(q)).toBe(400);
      expect(err.errors?.[0]?.path).toBe('/from');
    }
    expect(
      refusal(() => resolveWindow({ from: '9999-12-31T00:00:00Z', to: '+010000-01-01T00:00:00Z' }, 'UTC', NOW)),
    ).toMatchObject({ statusCode: 400 });
  });
});

describe('toCsv', () => {
  const base = {
    metricId: 'm',
    deviceId: 'd',
    siteId: 's',
    key: 'k',
    kind: 'gauge' as const,
    agg: 'avg' as const,
    decimals: null,
  };
  const ts = (series: TimeSeries['series']): TimeSeries => ({
    from: '2026-01-15T00:00:00.000Z',
    to: '2026-01-15T02:00:00.000Z',
    interval: '1h',
    tz: 'UTC',
    agg: 'default',
    timestamps: ['2026-01-15T00:00:00.000Z', '2026-01-15T01:00:00.000Z'],
    series,
    unavailable: [],
  });

  it('When names hold commas, quotes, formulas or no unit, then each header cell is quoted, neutralised or shortened as needed', () => {
    const csv = toCsv(
      ts([
        { ...base, siteName: '@Site', deviceName: 'Dev, "A"', name: 'P', unit: 'kW', values: [1.5, null] },
        { ...base, siteName: '-1+1', deviceName: 'B', name: 'Count', unit: '', values: [null, 0] },
        { ...base, siteName: 'Plain', deviceName: 'C', name: 'Line\nbreak', unit: '%', values: [-2, 3] },
      ]),
    );
    expect(csv.split('\r\n')).toEqual([
      `timestamp,"'@Site / Dev, ""A"" / P (kW) [avg]",'-1+1 / B / Count [avg],"Plain / C / Line\nbreak (%) [avg]"`,
      '2026-01-15T00:00:00.000Z,1.5,,-2',
      '2026-01-15T01:00:00.000Z,,0,3',
      '',
    ]);
  });

  it('When the CSV is cut into pieces of a few values, then each piece ends a row and together they are the whole file', () => {
    const data = ts([
      { ...base, siteName: 'S', deviceName: 'A', name: 'P', unit: 'kW', values: [1, null] },
      { ...base, siteName: 'S', deviceName: 'B', name: 'Q', unit: '', values: [2, 3] },
    ]);
    const pieces = [...csvPieces(data, 2)];
    expect(pieces).toHaveLength(2);
    expect(pieces.every((p) => p.endsWith('\r\n'))).toBe(true);
    expect(pieces.join('')).toBe(toCsv(data));
  });

  it('When a name holds a formula after a ; or a tab (a cell where a spreadsheet splits on them), or starts with a tab, CR or LF, then each such start is neutralised', () => {
    expect(csvCell('Plant;=HYPERLINK("http://evil")')).toBe(`"Plant;'=HYPERLINK(""http://evil"")"`);
    expect(csvCell('A; +1;-2;@SUM(A1)')).toBe("A; '+1;'-2;'@SUM(A1)");
    expect(csvCell('A\t=1+1')).toBe("A\t'=1+1");
    expect(csvCell('\t=1+1')).toBe("'\t'=1+1");
    expect(csvCell('\n=1+1')).toBe(`"'\n=1+1"`);
    expect(csvCell('\r@x')).toBe(`"'\r@x"`);
    // Left alone: a formula character inside a cell, and a comma's cell (quoted, which comma-splitting spreadsheets honour).
    expect(csvCell('Roof 3-4 @ north')).toBe('Roof 3-4 @ north');
    expect(csvCell('Plant, -20 C store')).toBe('"Plant, -20 C store"');
  });

  it('When any text goes through csvCell, then no cell a spreadsheet splitting on ; or tab would see starts with = + - @ (property)', () => {
    const formulaish = fc.stringMatching(/^[=+\-@;\t\r\n ,a"]{0,12}$/);
    fc.assert(
      fc.property(fc.oneof(formulaish, fc.string()), (text) => {
        const cell = csvCell(text);
        // As a spreadsheet splitting on ; or tab sees it, quotes and all: every piece starts harmlessly.
        for (const piece of cell.split(/[;\t]/).slice(1)) expect(piece).not.toMatch(/^[ \t\r\n]*[=+\-@]/);
        const unquoted = cell.startsWith('"') ? cell.slice(1) : cell;
        expect(unquoted).not.toMatch(/^[=+\-@\t\r\n]/);
      }),
      { numRuns: 500 },
    );
  });

  it('When there are no series, then there is still one row per bucket', () => {
    expect(toCsv(ts([]))).toBe('timestamp\r\n2026-01-15T00:00:00.000Z\r\n2026-01-15T01:00:00.000Z\r\n');
  });
});

describe('timeseriesService', () => {
  let app: App;
  let admin: Actor;
  beforeEach(async () => {
    app = await buildTestApp();
    admin = (await app.services.auth.loadActor((await createUser(app, { isAdmin: true })).id))!;
  });
  afterEach(() => app.close());

  async function metricIn(timezone: string) {
    const site = await createSite(app, { timezone });
    return (await createDevice(app, site.id)).metrics[0];
  }

  const put = (m: { pk: number; id: string }, points: [string, number][]) =>
    app.services.readings.write(
      points.map(([t, value]) => ({ metricPk: m.pk, metricId: m.id, ts: Date.parse(t), value })),
      { live: false },
    );

  it('When hourly buckets do not start on UTC hours (Asia/Kolkata), then they are computed from raw readings, not from UTC roll-ups', async () => {
    const m = await metricIn('Asia/Kolkata');
    await put(m, [
      ['2026-01-15T10:10:00Z', 1],
      ['2026-01-15T10:40:00Z', 2],
      ['2026-01-15T11:20:00Z', 4],
    ]);
    const res = await collectSeries(
      await app.services.timeseries.forMetric(admin, m.id, {
        from: '2026-01-15T09:30:00Z',
        to: '2026-01-15T11:30:00Z',
        interval: '1h',
        agg: 'sum',
      }),
    );
    expect(res.tz).toBe('Asia/Kolkata');
    expect(res.timestamps).toEqual(['2026-01-15T09:30:00.000Z', '2026-01-15T10:30:00.000Z']);
    expect(res.series[0].values).toEqual([1, 6]);
  });

  it('When the same readings are read by day (roll-ups) and by 15 minutes (raw), then the days add up to the quarters', async () => {
    const m = await metricIn('Europe/Berlin');
    const points: [string, number][] = [];
    for (let i = 0; i < 3 * 24 * 4; i += 7)
      points.push([new Date(Date.parse('2026-03-28T00:00:00Z') + i * 15 * 60_000 + 60_000).toISOString(), i % 13]);
    await put(m, points);
    const q = { from: '2026-03-27T23:00:00Z', to: '2026-03-30T22:00:00Z', maxPoints: 10_000 };
    for (const agg of ['sum', 'count', 'max', 'min', 'first', 'last'] as const) {
      const days = await collectSeries(
        await app.services.timeseries.forMetric(admin, m.id, { ...q, interval: '1d', agg }),
      );
      const quarters = await collectSeries(
        await app.services.timeseries.forMetric(admin, m.id, { ...q, interval: '15m', agg }),
      );
      const folded = days.timestamps.map((start, i) => {
        const end = i + 1 < days.timestamps.length ? Date.parse(days.timestamps[i + 1]) : Infinity;
        const vs = quarters.series[0].values.filter(
          (v, k): v is number =>
            v !== null &&
            Date.parse(quarters.timestamps[k]) >= Date.parse(start) &&
            Date.parse(quarters.timestamps[k]) < end,
        );
        if (agg === 'count') return vs.reduce((a, b) => a + b, 0);
        if (vs.length === 0) return null;
        return {
          sum: vs.reduce((a, b) => a + b, 0),
          max: Math.max(...vs),
          min: Math.min(...vs),
          first: vs[0],
          last: vs[vs.length - 1],
        }[agg];
      });
      expect(days.series[0].values, agg).toEqual(folded);
    }
  });

  it("When a subscription mixes zones and no tz is given, then the first metric's site zone is used", async () => {
    const a = await metricIn('America/New_York');
    const b = await metricIn('Europe/Berlin');
    const sub = await app.services.subscriptions.create(admin, { name: 'Zones', metricIds: [a.id, b.id] });
    const res = await collectSeries(
      await app.services.timeseries.forSubscription(admin, sub.id, {
        from: '2026-01-10T00:00:00Z',
        to: '2026-01-12T00:00:00Z',
        interval: '1d',
      }),
    );
    expect(res.tz).toBe('America/New_York');
    expect(res.timestamps[0]).toBe('2026-01-09T05:00:00.000Z');
    expect(res.series.map((s) => s.metricId)).toEqual([a.id, b.id]);
  });
});
