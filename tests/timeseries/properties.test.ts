import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterDeltaIn, type Aggregation } from '../../src/timeseries/aggregate.js';
import { aggregateSeries, mergePartials, partialFromReading } from '../helpers/aggregate-oracle.js';
import { bucketEnd, bucketStartOf, bucketStarts } from '../../src/timeseries/buckets.js';
import { chooseInterval, INTERVALS, type Interval } from '../../src/timeseries/interval.js';
import { offsetAt } from '../../src/timeseries/zone.js';

// Zones chosen for their quirks: half/quarter-hour offsets, DST at midnight, 30-min DST, a skipped day.
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'America/Santiago',
  'America/Havana',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Apia',
];
const MINUTE = 60_000;
const APPROX_LEN: Record<Interval, number> = {
  '1m': MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '1d': 1440 * MINUTE,
  '1w': 7 * 1440 * MINUTE,
  '1mo': 30 * 1440 * MINUTE,
};
const Y2000 = Date.parse('2000-01-01T00:00:00Z');
const Y2040 = Date.parse('2040-01-01T00:00:00Z');

const tz = fc.constantFrom(...ZONES);
const interval = fc.constantFrom(...INTERVALS);
const instant = fc.integer({ min: Y2000, max: Y2040 });
/** A window of 0 to ~300 buckets of the given interval, so enumerating it stays cheap. */
const windowFor = (i: Interval) => fc.tuple(instant, fc.integer({ min: 0, max: 300 * APPROX_LEN[i] }));

describe('chooseInterval (properties)', () => {
  it('When any window and maxPoints are given, then the chosen interval never yields more than maxPoints buckets, and a finer one would', () => {
    const span = fc.integer({ min: 0, max: 3 * 365 * 1440 }).map((m) => m * MINUTE + 17);
    fc.assert(
      fc.property(instant, span, fc.integer({ min: 1, max: 2000 }), tz, (from, len, maxPoints, zone) => {
        const to = from + len;
        const chosen = chooseInterval(from, to, maxPoints, zone);
        const at = chosen === null ? INTERVALS.length : INTERVALS.indexOf(chosen);
        if (chosen !== null) expect(bucketStarts(from, to, chosen, zone).length).toBeLessThanOrEqual(maxPoints);
        const finer = INTERVALS[at - 1];
        // Enumerate the finer interval only when that is cheap; it must overflow maxPoints.
        if (finer && len / APPROX_LEN[finer] < 50_000) {
          expect(bucketStarts(from, to, finer, zone).length).toBeGreaterThan(maxPoints);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('bucketStarts (properties)', () => {
  it('When any window is bucketed, then starts ascend strictly, each bucket ends where the next starts, and the window is covered', () => {
    fc.assert(
      fc.property(
        interval.chain((i) => fc.tuple(fc.constant(i), windowFor(i), tz)),
        ([i, [from, len], zone]) => {
          const to = from + len + 1;
          const starts = bucketStarts(from, to, i, zone);
          expect(starts.length).toBeGreaterThan(0);
          expect(starts[0]).toBeLessThanOrEqual(from);
          const ends = starts.map((start) => bucketEnd(start, i, zone));
          // Each end is the next start (which also makes starts strictly ascending, as ends exceed starts).
          expect(ends.every((e, k) => e > starts[k])).toBe(true);
          expect(ends.slice(0, -1)).toEqual(starts.slice(1));
          expect(ends[ends.length - 1]).toBeGreaterThanOrEqual(to);
          expect(bucketEnd(starts[0], i, zone)).toBeGreaterThan(from);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('When an instant is bucketed, then its bucket contains it and starts at a local boundary or a clock change', () => {
    fc.assert(
      fc.property(instant, interval, tz, (ts, i, zone) => {
        const start = bucketStartOf(ts, i, zone);
        expect(start).toBeLessThanOrEqual(ts);
        expect(bucketEnd(start, i, zone)).toBeGreaterThan(ts);
        const wall = start + offsetAt(start, zone);
        const aligned = i === '1h' ? wall % (60 * MINUTE) === 0 : i.endsWith('m') ? true : wall % (1440 * MINUTE) === 0;
        const atTransition = offsetAt(start - 1, zone) !== offsetAt(start, zone);
        expect(aligned || atTransition).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('bucketStarts over every year a query may name (properties)', () => {
  // The date-time format takes years 0000 to 9999; Date.UTC would put 0000-0099 in 1900-1999.
  const earliest = Date.parse('0000-01-01T00:00:00Z');
  const latest = Date.parse('9999-12-31T23:59:59Z');
  const anyInstant = fc.oneof(
    fc.integer({ min: earliest, max: latest }),
    fc.integer({ min: earliest, max: Date.parse('0101-01-01T00:00:00Z') }),
  );
  /** The local wall time of an instant, as a UTC date (its year, month, day and hour are the zone's). */
  const wall = (t: number, zone: string) => new Date(t + offsetAt(t, zone));

  it('When any window from 0000 to 9999 is bucketed by day, week or month, then the buckets tile it and start at local midnight (the 1st, for months)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Interval>('1h', '1d', '1w', '1mo'),
        anyInstant,
        fc.integer({ min: 1, max: 40 }),
        tz,
        (i, from, n, zone) => {
          const to = Math.min(from + n * APPROX_LEN[i], latest);
          fc.pre(to > from);
          const starts = bucketStarts(from, to, i, zone);
          const ends = starts.map((start) => bucketEnd(start, i, zone));
          expect(starts[0]).toBeLessThanOrEqual(from);
          expect(ends.slice(0, -1)).toEqual(starts.slice(1));
          expect(ends[ends.length - 1]).toBeGreaterThanOrEqual(to);
          for (const [k, start] of starts.entries()) {
            // Never far from its nominal length (a DST day is 23 or 25 hours).
            expect(Math.abs(ends[k] - start - APPROX_LEN[i])).toBeLessThanOrEqual(
              i === '1mo' ? 3 * 1440 * MINUTE : 2 * 60 * MINUTE,
            );
            if (i === '1h') continue;
            // Local midnight, or the clock change that skipped it (America/Santiago springs forward at 00:00).
            const local = wall(start, zone);
            if (offsetAt(start - 1, zone) !== offsetAt(start, zone)) continue;
            expect(local.getUTCHours() * 60 + local.getUTCMinutes(), `${i} ${zone} ${local.toISOString()}`).toBe(0);
            if (i === '1mo') expect(local.getUTCDate()).toBe(1);
            if (i === '1w') expect(local.getUTCDay()).toBe(1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('aggregateSeries (properties)', () => {
  const setup = fc.record({
    i: fc.constantFrom<Interval>('1m', '5m', '15m', '1h'),
    zone: tz,
    from: instant,
    // Readings as offsets (ms) from the window start, some before it and some after it.
    readings: fc.array(
      fc.tuple(fc.integer({ min: -3_600_000, max: 4 * 3_600_000 }), fc.integer({ min: 0, max: 1000 })),
      { maxLength: 80 },
    ),
  });
  const build = ({
    i,
    zone,
    from,
    readings,
  }: {
    i: Interval;
    zone: string;
    from: number;
    readings: [number, number][];
  }) => {
    const starts = bucketStarts(from, from + 3 * 3_600_000, i, zone);
    const end = bucketEnd(starts[starts.length - 1], i, zone);
    const sorted = readings.map(([d, v]) => [from + d, v] as const).sort((a, b) => a[0] - b[0]);
    const inside = sorted.filter(([ts]) => ts >= starts[0] && ts < end);
    return { starts, end, sorted, inside, endOf: (k: number) => (k + 1 < starts.length ? starts[k + 1] : end) };
  };

  it('When readings are random, then every min/max/first/last comes from a reading inside that bucket, and counts add up', () => {
    fc.assert(
      fc.property(setup, (s) => {
        const { starts, end, sorted, inside, endOf } = build(s);
        const partials = () => sorted.map(([ts, v]) => partialFromReading(ts, v));
        const problems: string[] = [];
        for (const agg of ['min', 'max', 'first', 'last'] as Aggregation[]) {
          aggregateSeries(partials(), starts, end, agg).forEach((value, k) => {
            const inBucket = inside.filter(([ts]) => ts >= starts[k] && ts < endOf(k)).map(([, v]) => v);
            if (value === null ? inBucket.length > 0 : !inBucket.includes(value))
              problems.push(`${agg} of bucket ${k}`);
            if (agg === 'first' && value !== null && value !== inBucket[0]) problems.push(`first of bucket ${k}`);
            if (agg === 'last' && value !== null && value !== inBucket[inBucket.length - 1])
              problems.push(`last of bucket ${k}`);
          });
        }
        expect(problems).toEqual([]);
        const counts = aggregateSeries(partials(), starts, end, 'count') as number[];
        expect(counts.reduce((a, b) => a + b, 0)).toBe(inside.length);
      }),
      { numRuns: 300 },
    );
  });

  it('When a counter is aggregated, then bucket deltas add up to the total increase, from raw readings or roll-ups alike', () => {
    fc.assert(
      fc.property(setup, fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }), (s, prevValue) => {
        const { starts, end, inside } = build(s);
        const previous = prevValue === undefined ? undefined : { ts: starts[0] - 1, value: prevValue };
        const raw = inside.map(([ts, v]) => partialFromReading(ts, v));
        const deltas = aggregateSeries(raw, starts, end, 'delta', { previous });
        const total = deltas.reduce<number>((a, d) => a + (d ?? 0), 0);
        const values = [...(previous ? [previous.value] : []), ...inside.map(([, v]) => v)];
        expect(total).toBe(counterDeltaIn(values));
        // Roll up per 1-minute slot, as the storage layer would, and expect identical results.
        const rolled = raw.reduce<typeof raw>((acc, p) => {
          const last = acc[acc.length - 1];
          if (last && Math.floor(last.firstTs / MINUTE) === Math.floor(p.firstTs / MINUTE))
            acc[acc.length - 1] = mergePartials(last, p);
          else acc.push(p);
          return acc;
        }, []);
        for (const agg of ['delta', 'sum', 'count', 'avg', 'min', 'max', 'first', 'last'] as Aggregation[]) {
          expect(aggregateSeries(rolled, starts, end, agg, { previous })).toEqual(
            aggregateSeries(raw, starts, end, agg, { previous }),
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
