// Aggregates readings (or roll-ups of readings) of one metric into buckets.
//
// Empty buckets: every aggregation returns null for a bucket without a reading, except `count`,
// which returns 0. Null means "no data" and a chart must draw a gap, not a zero; a count of
// nothing, though, really is 0, and summing counts over buckets must equal the readings seen.
//
// Values are assumed finite, and counters (the `delta` aggregation) non-negative.
import { bucketIndexer } from './buckets.js';

export const AGGREGATIONS = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last', 'delta'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/**
 * Summary of one or more consecutive readings of one metric: a raw reading (count 1) or a
 * roll-up row. Named as the storage layer names it; it shadows TypeScript's Partial<T> only
 * inside modules that import it.
 */
export interface Partial {
  /** Start of the period summarised (the roll-up's hour, or the reading's own ts). */
  start: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  last: number;
  firstTs: number;
  lastTs: number;
  /** Counter increase between consecutive readings inside the partial (0 for one reading). */
  deltaIn: number;
}

export interface AggregateOptions {
  /** The last reading before the window, so the first bucket's delta includes the step into it. */
  previous?: { ts: number; value: number } | null;
}

export function partialFromReading(ts: number, value: number): Partial {
  return {
    start: ts,
    count: 1,
    sum: value,
    min: value,
    max: value,
    first: value,
    last: value,
    firstTs: ts,
    lastTs: ts,
    deltaIn: 0,
  };
}

/**
 * Increase of a counter from `prev` to `next`. A drop means the meter was reset (replaced,
 * rolled over, power-cycled), so it counted from 0 up to `next` since.
 */
export function counterIncrease(prev: number, next: number): number {
  return next >= prev ? next - prev : next;
}

/** Total increase across consecutive counter values, with the reset rule; roll-ups store it as deltaIn. */
export function counterDeltaIn(values: readonly number[]): number {
  let total = 0;
  for (let i = 1; i < values.length; i++) total += counterIncrease(values[i - 1], values[i]);
  return total;
}

/** Folds `b` into `a` in place; `b` must come after `a` in time (deltaIn bridges a.last to b.first). */
function mergeInto(a: Partial, b: Partial): Partial {
  a.deltaIn += counterIncrease(a.last, b.first) + b.deltaIn;
  a.count += b.count;
  a.sum += b.sum;
  a.min = Math.min(a.min, b.min);
  a.max = Math.max(a.max, b.max);
  if (b.firstTs < a.firstTs) {
    a.first = b.first;
    a.firstTs = b.firstTs;
  }
  if (b.lastTs >= a.lastTs) {
    a.last = b.last;
    a.lastTs = b.lastTs;
  }
  a.start = Math.min(a.start, b.start);
  return a;
}

/** Summary of `a` followed by `b` (e.g. to build an hourly roll-up from raw readings). */
export function mergePartials(a: Partial, b: Partial): Partial {
  return mergeInto({ ...a }, b);
}

/**
 * One value per bucket (`starts`, with `end` closing the last). Partials arrive sorted by firstTs,
 * each inside one bucket; those outside [starts[0], end) are skipped, except that ones before the
 * window seed the counter like `opts.previous`.
 *
 * `delta` credits each increase between consecutive readings to the bucket of the later reading,
 * so adjacent buckets add up to the total increase and a bucket with no reading is null (its
 * increase shows in the next bucket that has one). Without a previous reading, the first bucket
 * only counts increases between readings inside the window.
 */
export function aggregateSeries(
  partials: Iterable<Partial>,
  starts: readonly number[],
  end: number,
  agg: Aggregation,
  opts: AggregateOptions = {},
): (number | null)[] {
  const acc: (Partial | null)[] = new Array<Partial | null>(starts.length).fill(null);
  const delta = new Array<number>(starts.length).fill(0);
  const indexOf = bucketIndexer(starts, end);
  let prev = opts.previous ? opts.previous.value : null;
  let prevTs = opts.previous ? opts.previous.ts : -Infinity;

  for (const p of partials) {
    const i = indexOf(p.firstTs);
    if (i < 0) {
      if (starts.length > 0 && p.lastTs < starts[0] && p.lastTs >= prevTs) {
        prev = p.last;
        prevTs = p.lastTs;
      }
      continue;
    }
    delta[i] += (prev === null ? 0 : counterIncrease(prev, p.first)) + p.deltaIn;
    prev = p.last;
    prevTs = p.lastTs;
    const a = acc[i];
    acc[i] = a ? mergeInto(a, p) : { ...p };
  }

  return acc.map((a, i) => {
    if (agg === 'count') return a ? a.count : 0;
    if (!a) return null;
    switch (agg) {
      case 'avg':
        return a.sum / a.count;
      case 'min':
        return a.min;
      case 'max':
        return a.max;
      case 'sum':
        return a.sum;
      case 'first':
        return a.first;
      case 'last':
        return a.last;
      case 'delta':
        return delta[i];
    }
  });
}
