// Aligned time series for one metric or a subscription. Buckets come from src/timeseries; each
// metric's values come from `readings.series`, which reads daily or hourly roll-ups or raw readings
// as the buckets allow (src/db/series.ts), so a year costs about as much as a day.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MetricInContext } from '../db/repositories/metrics.js';
import type { Repositories } from '../db/repositories/index.js';
import { badRequest, errors, seriesTooLarge } from '../errors.js';
import { ROUNDED_AGGREGATIONS, roundTo, type Aggregation } from '../timeseries/aggregate.js';
import { bucketEnd, bucketStarts, countBuckets } from '../timeseries/buckets.js';
import { chooseInterval, isValidTimeZone, type Interval, type IntervalParam } from '../timeseries/interval.js';
import { utcTime } from '../timeseries/zone.js';
import { requireView, type Actor } from './policy.js';
import { zoneOf, type SubscriptionsService } from './subscriptions.js';
import { iso } from './views.js';
import { DAY_MS } from '../time.js';

export interface SeriesQuery {
  from?: string;
  to?: string;
  interval?: IntervalParam;
  agg?: Aggregation;
  tz?: string;
  maxPoints?: number;
}

const MAX_WINDOW_MS = 3653 * DAY_MS; // ten years
/** The instants an answer may name: its schema's date-times have four-digit years. */
const EARLIEST = utcTime(0, 0);
const LATEST = utcTime(9999, 11, 31, 23, 59, 59) + 999;
/**
 * Values (metrics × buckets) one answer may hold: a subscription's 1,000 metrics at 2,000 points,
 * or 200 at the 10,000 points maxPoints allows. Reading and sending them takes seconds and tens of
 * megabytes; more is refused with 400 rather than queued behind everyone else.
 */
export const MAX_SERIES_CELLS = 2_000_000;
/** Values read between two turns of the event loop (a few milliseconds of reads). */
const YIELD_EVERY_CELLS = 10_000;

export interface Window {
  from: number;
  to: number;
  interval: Interval;
  tz: string;
  starts: number[];
  end: number;
}

/** Validates and resolves the window; every refusal is a 400 that says why. */
export function resolveWindow(q: SeriesQuery, defaultTz: string, now = Date.now()): Window {
  const to = q.to ? Date.parse(q.to) : now;
  const from = q.from ? Date.parse(q.from) : to - DAY_MS;
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw badRequest('from and to must be ISO 8601 timestamps');
  if (from < EARLIEST || to > LATEST)
    throw badRequest('from and to must lie in years 0000 to 9999 (the default from is 24 hours before to)', [
      { path: from < EARLIEST ? '/from' : '/to', message: 'must lie in years 0000 to 9999' },
    ]);
  if (from >= to) throw badRequest('from must be before to', [{ path: '/from', message: 'must be before to' }]);
  if (to - from > MAX_WINDOW_MS)
    throw badRequest('The window is longer than 10 years', [{ path: '/from', message: 'window over 10 years' }]);
  const tz = q.tz ?? defaultTz;
  if (!isValidTimeZone(tz))
    throw badRequest(`Unknown time zone "${tz}"`, [{ path: '/tz', message: 'unknown IANA time zone' }]);
  const maxPoints = q.maxPoints ?? 1000;
  let interval: Interval | null;
  if (!q.interval || q.interval === 'auto') {
    interval = chooseInterval(from, to, maxPoints, tz);
    if (!interval)
      throw badRequest(`Even monthly buckets exceed maxPoints (${maxPoints}) for this window`, [
        { path: '/maxPoints', message: 'too small for this window' },
      ]);
  } else {
    interval = q.interval;
    const n = countBuckets(from, to, interval, tz, maxPoints);
    if (n > maxPoints) {
      throw badRequest(
        `Interval ${interval} gives more than maxPoints (${maxPoints}) buckets for this window; choose a longer interval, a shorter window or interval=auto`,
        [{ path: '/interval', message: 'too many buckets' }],
      );
    }
  }
  const starts = bucketStarts(from, to, interval, tz);
  if (starts[0] < EARLIEST)
    throw badRequest(`The first ${interval} bucket in ${tz} would start before year 0000; start the window later`, [
      { path: '/from', message: 'its bucket would start before year 0000' },
    ]);
  const end = bucketEnd(starts[starts.length - 1], interval, tz);
  return { from, to, interval, tz, starts, end };
}

export const defaultAgg = (kind: string): Aggregation => (kind === 'counter' ? 'delta' : 'avg');

export function timeseriesService(repos: Repositories, subscriptions: SubscriptionsService) {
  /** Checks the window and the size of the answer now; the values are read later, one metric at a time. */
  function answer(metrics: MetricInContext[], q: SeriesQuery, defaultTz: string, unavailable: string[] = []) {
    const w = resolveWindow(q, defaultTz);
    const cells = metrics.length * w.starts.length;
    if (cells > MAX_SERIES_CELLS) throw seriesTooLarge(metrics.length, w.starts.length, MAX_SERIES_CELLS);
    async function* series(): AsyncGenerator<Series> {
      let unyielded = 0;
      for (const m of metrics) {
        // The reads are synchronous inside: let other requests run between metrics now and then.
        if (unyielded >= YIELD_EVERY_CELLS) {
          await nextTurn();
          unyielded = 0;
        }
        unyielded += w.starts.length;
        const agg = q.agg ?? defaultAgg(m.kind);
        const values = await repos.readings.series(m.pk, w, agg);
        // A computed value is shown to the metric's precision; a stored reading stays exact.
        if (m.decimals !== null && ROUNDED_AGGREGATIONS.has(agg))
          for (let i = 0; i < values.length; i++) if (values[i] !== null) values[i] = roundTo(values[i]!, m.decimals);
        yield {
          metricId: m.id,
          deviceId: m.deviceId,
          deviceName: m.deviceName,
          siteId: m.siteId,
          siteName: m.siteName,
          key: m.key,
          name: m.name,
          unit: m.unit,
          kind: m.kind,
          agg,
          decimals: m.decimals,
          values,
        };
      }
    }
    const head: SeriesHead = {
      from: iso(w.from),
      to: iso(w.to),
      interval: w.interval,
      tz: w.tz,
      agg: q.agg ?? 'default',
      timestamps: w.starts.map(iso),
    };
    return { head, metrics, cells, series, unavailable };
  }

  return {
    /**
     * One metric's values in the window's buckets, read as the endpoints read them. No access
     * check: for services that have already decided the caller may see the metric (energy.ts).
     */
    async bucketValues(metricPk: number, w: Window, agg: Aggregation): Promise<(number | null)[]> {
      return repos.readings.series(metricPk, w, agg);
    },

    async forMetric(actor: Actor, metricId: string, q: SeriesQuery): Promise<SeriesAnswer> {
      const [m] = await repos.metrics.findInContext([metricId]);
      requireView(actor, m?.siteId, () => new errors.METRIC_NOT_FOUND());
      return answer([m], q, m.siteTimezone);
    },

    /** Default zone: the subscription's (zoneOf); pass tz to choose. */
    async forSubscription(actor: Actor, subscriptionId: string, q: SeriesQuery): Promise<SeriesAnswer> {
      const { metrics, unavailable } = await subscriptions.resolve(actor, subscriptionId);
      return answer(metrics, q, zoneOf(metrics), unavailable);
    },
  };
}

export interface Series {
  metricId: string;
  deviceId: string;
  deviceName: string;
  siteId: string;
  siteName: string;
  key: string;
  name: string;
  unit: string;
  kind: string;
  agg: Aggregation;
  /** The metric's display precision (its values are rounded to it where `agg` computes them). */
  decimals: number | null;
  values: (number | null)[];
}

export interface SeriesHead {
  from: string;
  to: string;
  interval: Interval;
  tz: string;
  /** The aggregation asked for, or 'default' (each series says its own). */
  agg: Aggregation | 'default';
  /** Bucket starts, shared by every series. */
  timestamps: string[];
}

/**
 * A checked answer whose values are not read yet: `series()` reads them one metric at a time, so
 * a large answer can be sent as it is read (src/routes/api/series-reply.ts).
 */
export interface SeriesAnswer {
  head: SeriesHead;
  /** The metrics in the answer's order, as the series will name them. */
  metrics: readonly MetricInContext[];
  /** Values in the answer: metrics × buckets, at most MAX_SERIES_CELLS. */
  cells: number;
  series: () => AsyncGenerator<Series>;
  unavailable: string[];
}

export interface TimeSeries extends SeriesHead {
  series: Series[];
  unavailable: string[];
}

/** The whole answer in memory, for answers small enough to send in one piece. */
export async function collectSeries(a: SeriesAnswer): Promise<TimeSeries> {
  const series: Series[] = [];
  for await (const s of a.series()) series.push(s);
  return { ...a.head, series, unavailable: a.unavailable };
}

/**
 * A text cell as CSV, never read as a formula (CSV injection). A spreadsheet runs a cell that starts
 * with = + - @ (or a tab, CR or LF before one); where its locale splits on `;` (or it splits on tabs)
 * it also starts a cell after each of those, inside our quotes too. Each such start gets a `'`, which
 * makes it text. Commas need nothing: cells with one are quoted, and spreadsheets splitting on commas
 * honour the quotes. Numbers and timestamps are not text cells: -2 stays a number.
 */
export const csvCell = (s: string) => {
  const safe = s.replace(/^(?=[=+\-@\t\r\n])/, "'").replace(/([;\t][ \t\r\n]*)(?=[=+\-@])/g, "$1'");
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/**
 * One row per bucket; one column per series, named by site, device, metric and unit. Yields
 * pieces of about `cellsPerPiece` values, so a large file can be sent between other requests.
 */
export function* csvPieces(ts: TimeSeries, cellsPerPiece = Infinity): Generator<string> {
  const header = [
    'timestamp',
    ...ts.series.map((s) => `${s.siteName} / ${s.deviceName} / ${s.name}${s.unit ? ` (${s.unit})` : ''} [${s.agg}]`),
  ];
  let lines = [header.map(csvCell).join(',')];
  const rowsPerPiece = Math.max(1, Math.floor(cellsPerPiece / Math.max(1, ts.series.length)));
  for (let i = 0; i < ts.timestamps.length; i++) {
    lines.push(
      [ts.timestamps[i], ...ts.series.map((s) => (s.values[i] === null ? '' : String(s.values[i])))].join(','),
    );
    if (lines.length >= rowsPerPiece) {
      yield `${lines.join('\r\n')}\r\n`;
      lines = [];
    }
  }
  if (lines.length > 0) yield `${lines.join('\r\n')}\r\n`;
}

export const toCsv = (ts: TimeSeries): string => [...csvPieces(ts)].join('');

export type TimeseriesService = ReturnType<typeof timeseriesService>;
