// The intervals a chart or export can be bucketed by, and the choice of one for `interval=auto`.
import { countBuckets } from './buckets.js';

export { isValidTimeZone } from './zone.js';

/** Ordered from finest to coarsest: chooseInterval relies on this order. */
export const INTERVALS = ['1m', '5m', '15m', '1h', '1d', '1w', '1mo'] as const;
export type Interval = (typeof INTERVALS)[number];
export type IntervalParam = Interval | 'auto';

export function isInterval(value: string): value is Interval {
  return (INTERVALS as readonly string[]).includes(value);
}

/**
 * The finest interval that splits [fromMs, toMs) into at most `maxPoints` buckets in `tz`,
 * or null when even monthly buckets are too many. Counts are exact (the same boundaries
 * bucketStarts returns, DST days included), so the promise "at most maxPoints" always holds.
 */
export function chooseInterval(fromMs: number, toMs: number, maxPoints: number, tz: string): Interval | null {
  for (const interval of INTERVALS) {
    if (countBuckets(fromMs, toMs, interval, tz, maxPoints) <= maxPoints) return interval;
  }
  return null;
}
