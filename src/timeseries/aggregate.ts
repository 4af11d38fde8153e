// The aggregations a series offers and the counter rule, shared by the SQL that computes them
// (src/db/repositories/readings.ts, dailies.ts) and the naive oracle the tests compare it with
// (tests/helpers/aggregate-oracle.ts).
//
// Empty buckets: every aggregation returns null for a bucket without a reading, except `count`,
// which returns 0. Null means "no data" and a chart must draw a gap, not a zero; a count of
// nothing, though, really is 0, and summing counts over buckets must equal the readings seen.
//
// Values are assumed finite, and counters (the `delta` aggregation) non-negative.
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

/**
 * Aggregations whose answers are computed, not a reading: a metric's `decimals` rounds these. The
 * others (`first`, `last`, `min`, `max`) return a stored reading, which stays exact; `count` is whole.
 */
export const ROUNDED_AGGREGATIONS: ReadonlySet<Aggregation> = new Set(['avg', 'sum', 'delta']);

/**
 * `v` to `decimals` places, half away from zero, on the shortest decimal text of `v` (so 1.005
 * gives 1.01, as a person reading 1.005 expects, where `Math.round(v * 100) / 100` gives 1).
 */
export function roundTo(v: number, decimals: number): number {
  const text = String(Math.abs(v));
  const rounded = text.includes('e')
    ? Math.round(Math.abs(v) * 10 ** decimals) / 10 ** decimals
    : Number(`${Math.round(Number(`${text}e${decimals}`))}e-${decimals}`);
  return v < 0 ? -rounded : rounded;
}
