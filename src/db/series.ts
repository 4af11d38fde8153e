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
  /** One value per bucket [edges[i], edges[i + 1]) (on UTC hours) from the hourly roll-ups, null where there is none. */
  rollupPerBucket(metricPk: number, edges: number[], agg: Aggregation): Promise<(number | null)[]>;
  /** Like rollupPerBucket from the daily roll-ups; null when they do not hold `tz`'s days. */
  dailyPerBucket(metricPk: number, tz: string, edges: number[], agg: Aggregation): Promise<(number | null)[] | null>;
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
    const perBucket = daily ?? (await reads.rollupPerBucket(metricPk, edges, agg));
    perBucket.forEach((v, i) => v !== null && (values[i] = v));
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
