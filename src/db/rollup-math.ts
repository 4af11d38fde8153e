// The maths of ingestion shared by the SQLite and PostgreSQL readings repositories: a batch grouped
// by metric and hour, and an hour's roll-up built from its readings. Both databases run exactly this
// code, so their roll-ups hold the same floating-point sums.
import { counterDeltaIn, type Partial } from '../timeseries/aggregate.js';
import { HOUR_MS } from '../time.js';

export interface ReadingRow {
  metricPk: number;
  ts: number;
  value: number;
}

/** Hour indexes a group key has room for: up to the year 2209. */
const HOUR_SLOTS = 2 ** 21;
/** Metric keys below this keep metricPk × HOUR_SLOTS + hour a safe integer (autoincrement: 4 billion metrics). */
const MAX_METRIC_KEYS = 2 ** 32;

/**
 * A batch's readings by metric and hour, metrics and hours ascending: [metric key, hour start,
 * [ts, value] pairs ascending, one per timestamp (a repeated one: the last value sent wins, as in
 * the table)]. One Map of row indexes under a numeric key: a Map per metric, per hour and per
 * timestamp costs several times as much (docs/performance.md, P4). A metric-hour's readings nearly
 * always arrive in order, so most groups need neither de-duplication nor a sort.
 */
export function groupByHour(rows: readonly ReadingRow[]): [number, number, [number, number][]][] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < rows.length; i++) {
    const { metricPk, ts } = rows[i];
    // The service refuses such timestamps first; these bounds keep every key distinct and exact.
    if (!(ts >= 0 && ts < HOUR_SLOTS * HOUR_MS)) throw new RangeError(`Reading timestamp out of range: ${ts}`);
    if (!(metricPk >= 0 && metricPk < MAX_METRIC_KEYS)) throw new RangeError(`Metric key out of range: ${metricPk}`);
    const key = metricPk * HOUR_SLOTS + Math.floor(ts / HOUR_MS);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .map((key) => {
      const indexes = groups.get(key)!;
      let ascending = true;
      for (let j = 1; j < indexes.length && ascending; j++) ascending = rows[indexes[j]].ts > rows[indexes[j - 1]].ts;
      let fresh: [number, number][];
      if (ascending) fresh = indexes.map((i) => [rows[i].ts, rows[i].value]);
      else {
        const byTs = new Map<number, number>();
        for (const i of indexes) byTs.set(rows[i].ts, rows[i].value);
        fresh = [...byTs].sort((a, b) => a[0] - b[0]);
      }
      return [Math.floor(key / HOUR_SLOTS), (key % HOUR_SLOTS) * HOUR_MS, fresh];
    });
}

/** Builds the roll-up of one metric-hour from its raw readings (ascending). */
export function rollupOf(start: number, rows: [number, number][]): Partial {
  let sum = 0,
    min = Infinity,
    max = -Infinity;
  const values = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][1];
    values[i] = v;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return {
    start,
    count: rows.length,
    sum,
    min,
    max,
    first: rows[0][1],
    last: rows[rows.length - 1][1],
    firstTs: rows[0][0],
    lastTs: rows[rows.length - 1][0],
    deltaIn: counterDeltaIn(values),
  };
}
