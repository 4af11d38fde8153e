// The naive oracle of the time-series aggregations: folds readings (or roll-ups of readings) into
// buckets one by one in JavaScript. Production aggregates in SQL; the property tests hold this fold
// to the rules the SQL follows (tests/timeseries/properties.test.ts).
import { counterIncrease, type Aggregation, type Partial } from '../../src/timeseries/aggregate.js';

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
 * Maps an instant to the index of its bucket in `starts`, or -1 outside [starts[0], end).
 * Readings usually arrive in ascending order, so it remembers the last index and only falls
 * back to binary search when the stream jumps.
 */
export function bucketIndexer(starts: readonly number[], end: number): (ts: number) => number {
  let i = 0;
  const endOf = (k: number): number => (k + 1 < starts.length ? starts[k + 1] : end);
  return (ts) => {
    if (starts.length === 0 || ts < starts[0] || ts >= end) return -1;
    if (ts >= starts[i] && ts < endOf(i)) return i;
    if (i + 1 < starts.length && ts >= starts[i + 1] && ts < endOf(i + 1)) return ++i;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= ts) lo = mid;
      else hi = mid - 1;
    }
    i = lo;
    return i;
  };
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
