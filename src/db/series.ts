// The storage plan of a time-series read, shared by the SQLite and PostgreSQL readings
// repositories: daily roll-ups for whole local days of the site's zone, hourly roll-ups when every
// bucket edge is a UTC hour, else raw readings, so a year costs about as much as a day
// (docs/decisions/002-hourly-and-daily-rollups.md). Each dialect supplies the four reads; which
// one answers which buckets is decided here once, so both databases give the same answers.
import type { Aggregation } from '../timeseries/aggregate.js';
import { daysAligned } from '../timeseries/buckets.js';
import type { Interval } from '../timeseries/interval.js';
import { HOUR_MS } from '../time.js';

/** The buckets of a series: their starts, the end of the last one, their interval and zone. */
export interface SeriesWindow {
  starts: number[];
  end: number;
  interval: Interval;
  tz: string;
}

/** The reads a dialect provides; each answers one kind of bucket from one table. */
export interface SeriesReads {
  /** [bucket index, value] for fixed-width buckets from `start`; `delta` steps from the reading before `start`. */
  rawBucketed(
    metricPk: number,
    start: number,
    end: number,
    width: number,
    agg: Aggregation,
  ): Promise<[number, number][]>;
  /** [bucket index, value] for fixed-width buckets from `start` (on UTC hours), from the hourly roll-ups. */
  rollupBucketed(
    metricPk: number,
    start: number,
    end: number,
    width: number,
    agg: Aggregation,
  ): Promise<[number, number][]>;
  /** The first and last hourly roll-up start in [start, end), or null when there is none there. */
  rollupExtent(metricPk: number, start: number, end: number): Promise<[number, number] | null>;
  /** One value per bucket [edges[i], edges[i + 1]) (on UTC hours) from the hourly roll-ups, null where there is none. */
  rollupPerBucket(metricPk: number, edges: number[], agg: Aggregation): Promise<(number | null)[]>;
  /** Like rollupPerBucket from the daily roll-ups; null when they do not hold `tz`'s days. */
  dailyPerBucket(metricPk: number, tz: string, edges: number[], agg: Aggregation): Promise<(number | null)[] | null>;
}

/** A daily roll-up as both dialects read it for folding: [start, count, sum, min, max, first, last, delta]. */
export type DayRow = [number, number, number, number, number, number, number, number];

/**
 * One value per bucket [edges[i], edges[i + 1]) from daily roll-ups read as one key range, in
 * ascending start order: a range read returns only the days that hold data, where a lookup per
 * bucket costs a statement step even for the empty ones (a fleet's year is mostly empty days).
 * Sums run in start order, as the per-bucket SQL summed them.
 */
export function foldDays(rows: readonly DayRow[], edges: readonly number[], agg: Aggregation): (number | null)[] {
  const out = new Array<number | null>(edges.length - 1).fill(null);
  let b = 0;
  let count = 0,
    sum = 0,
    min = Infinity,
    max = -Infinity,
    first = 0,
    last = 0,
    delta = 0,
    seen = false;
  const pick = (): number => {
    switch (agg) {
      case 'avg':
        return sum / count;
      case 'sum':
        return sum;
      case 'count':
        return count;
      case 'min':
        return min;
      case 'max':
        return max;
      case 'first':
        return first;
      case 'last':
        return last;
      case 'delta':
        return delta;
    }
  };
  const close = () => {
    if (!seen) return;
    out[b] = pick();
    count = sum = delta = 0;
    min = Infinity;
    max = -Infinity;
    seen = false;
  };
  for (const row of rows) {
    const start = row[0];
    if (start < edges[b]) continue;
    while (b < out.length && start >= edges[b + 1]) {
      close();
      b++;
    }
    if (b === out.length) break;
    if (!seen) first = row[5];
    seen = true;
    count += row[1];
    sum += row[2];
    if (row[3] < min) min = row[3];
    if (row[4] > max) max = row[4];
    last = row[6];
    delta += row[7];
  }
  if (b < out.length) close();
  return out;
}

/** The indexes [first, end) of the buckets between `edges` that hold the instants first..last. */
function bucketsSpanning(edges: readonly number[], [first, last]: [number, number]): [number, number] {
  const bucketOf = (t: number) => {
    let lo = 0;
    let hi = edges.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (edges[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return [bucketOf(first), bucketOf(last) + 1];
}

interface Plan {
  edges: number[];
  fromRollups: boolean;
  perBucket: boolean;
  wholeDays: boolean;
}

// A window's plan is the same for every metric of an answer: worked out once per window object.
const plans = new WeakMap<SeriesWindow, Plan>();

function planOf(w: SeriesWindow): Plan {
  let plan = plans.get(w);
  if (plan) return plan;
  const edges = [...w.starts, w.end];
  const fromRollups =
    w.interval !== '1m' && w.interval !== '5m' && w.interval !== '15m' && edges.every((t) => t % HOUR_MS === 0);
  // Day-or-longer buckets: one range read per bucket beats a GROUP BY (readings repositories).
  const perBucket = fromRollups && w.interval !== '1h';
  // Daily roll-ups exist for days whose midnights are on UTC hours: for 1d those are the edges.
  const wholeDays = perBucket && (w.interval === '1d' || daysAligned(edges[0], w.end, w.tz));
  plan = { edges, fromRollups, perBucket, wholeDays };
  plans.set(w, plan);
  return plan;
}

/**
 * One metric's value per bucket of `w` (0 for empty `count` buckets, null for other empty ones).
 * Buckets of equal width are read in runs (a year of Berlin days is five: two DST days and three
 * stretches between them), each run one grouped read over a key range. Every path equals a naive
 * computation (property test in tests/routes/api/timeseries.test.ts).
 */
export async function readSeries(
  reads: SeriesReads,
  metricPk: number,
  w: SeriesWindow,
  agg: Aggregation,
): Promise<(number | null)[]> {
  const plan = planOf(w);
  const { edges, fromRollups } = plan;
  const values: (number | null)[] = new Array<number | null>(w.starts.length).fill(agg === 'count' ? 0 : null);
  if (plan.perBucket) {
    // Over the daily roll-ups where they hold the zone's days (a 24th of the rows), else the hourly.
    const daily = plan.wholeDays ? await reads.dailyPerBucket(metricPk, w.tz, edges, agg) : null;
    if (daily) {
      daily.forEach((v, i) => v !== null && (values[i] = v));
      return values;
    }
    // Only the buckets between the metric's first and last hour in the window are read: a lookup
    // per bucket costs a step even where there is nothing, and a fleet's metrics are often sparse.
    const extent = await reads.rollupExtent(metricPk, edges[0], edges[edges.length - 1]);
    if (!extent) return values;
    const [a, b] = bucketsSpanning(edges, extent);
    const perBucket = await reads.rollupPerBucket(metricPk, edges.slice(a, b + 1), agg);
    perBucket.forEach((v, i) => v !== null && (values[a + i] = v));
    return values;
  }
  for (let a = 0; a < w.starts.length;) {
    const width = edges[a + 1] - edges[a];
    let b = a + 1;
    while (b < w.starts.length && edges[b + 1] - edges[b] === width) b++;
    const rows = fromRollups
      ? await reads.rollupBucketed(metricPk, edges[a], edges[b], width, agg)
      : await reads.rawBucketed(metricPk, edges[a], edges[b], width, agg);
    for (const [i, v] of rows) values[a + i] = v;
    a = b;
  }
  return values;
}
