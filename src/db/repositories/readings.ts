// Readings and their hourly and daily roll-ups. This is the hot path of ingestion and of every chart,
// so it uses prepared statements on the raw better-sqlite3 handle instead of the query builder.
import { counterIncrease, type Aggregation, type Partial } from '../../timeseries/aggregate.js';
import { HOUR_MS } from '../../time.js';
import type { Db } from '../client.js';
import { groupByHour, rollupOf, type ReadingRow } from '../rollup-math.js';
import { foldDays, readSeries, type DayRow, type SeriesReads, type SeriesWindow } from '../series.js';
import { dailyRollups } from './dailies.js';

export { groupByHour, rollupOf, type ReadingRow };

/** A stored roll-up row: count, sum, min, max, first, last, first_ts, last_ts, delta_in, delta_prev. */
type StoredRollup = [number, number, number, number, number, number, number, number, number, number];

/** Called inside the ingestion transaction with each metric's new readings (ascending), e.g. alarm evaluation. */
export type OnIngest = (metricPk: number, fresh: readonly (readonly [number, number])[], receivedAt: number) => void;

export function readingsRepository(db: Db, onIngest?: OnIngest) {
  const c = db.$client;
  const dailies = dailyRollups(c);
  const upsert = c.prepare(
    'INSERT INTO readings (metric_pk, ts, value) VALUES (?, ?, ?) ON CONFLICT (metric_pk, ts) DO UPDATE SET value = excluded.value',
  );
  const rowsBetween = c
    .prepare<[number, number, number], [number, number]>(
      'SELECT ts, value FROM readings WHERE metric_pk = ? AND ts >= ? AND ts < ? ORDER BY ts',
    )
    .raw(true);
  // An upsert updates the row in place; INSERT OR REPLACE would delete and re-insert it, which is slower.
  const putRollup = c.prepare(
    `INSERT INTO rollups_1h (metric_pk, start, count, sum, min, max, first, last, first_ts, last_ts, delta_in, delta_prev)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (metric_pk, start) DO UPDATE SET count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
       first = excluded.first, last = excluded.last, first_ts = excluded.first_ts, last_ts = excluded.last_ts,
       delta_in = excluded.delta_in, delta_prev = excluded.delta_prev`,
  );
  const prevRollup = c.prepare<[number, number], { last: number }>(
    'SELECT last FROM rollups_1h WHERE metric_pk = ? AND start < ? ORDER BY start DESC LIMIT 1',
  );
  const nextRollup = c.prepare<[number, number], { start: number; first: number }>(
    'SELECT start, first FROM rollups_1h WHERE metric_pk = ? AND start > ? ORDER BY start LIMIT 1',
  );
  const setDeltaPrev = c.prepare('UPDATE rollups_1h SET delta_prev = ? WHERE metric_pk = ? AND start = ?');
  // Fixed-width buckets aggregated by SQLite over a primary-key range: bucket i = (t - start) / width.
  // One statement per aggregation; `first`/`last` use SQLite's documented bare-column rule (the
  // row of the single min()/max()). CASTs: better-sqlite3 binds JS numbers as REAL, and REAL
  // division would not truncate.
  const bucketAgg = (table: 'readings' | 'rollups_1h', t: 'ts' | 'start', expr: string) =>
    c
      .prepare<[{ pk: number; s: number; e: number; w: number }], [number, number]>(
        `SELECT (${t} - CAST(@s AS INTEGER)) / CAST(@w AS INTEGER) AS i, ${expr} FROM ${table} WHERE metric_pk = @pk AND ${t} >= @s AND ${t} < @e GROUP BY i`,
      )
      .raw(true);
  const rollAgg = (expr: string) => bucketAgg('rollups_1h', 'start', expr);
  const rawAgg = (expr: string) => bucketAgg('readings', 'ts', expr);
  const rollAggs = {
    avg: rollAgg('sum(sum) / sum(count)'),
    min: rollAgg('min(min)'),
    max: rollAgg('max(max)'),
    sum: rollAgg('sum(sum)'),
    count: rollAgg('sum(count)'),
    first: rollAgg('first, min(start)'),
    last: rollAgg('last, max(start)'),
    delta: rollAgg('sum(delta_in + delta_prev)'),
  };
  // The same aggregations over each bucket's range, for long buckets (a day of 24 roll-ups or
  // more): a subquery per bucket walks its primary-key range, where one GROUP BY over a year
  // sorts 8,760 rows into a temporary B-tree and takes longer (docs/performance.md, P5). The buckets
  // arrive as one JSON array of [start, end] pairs, so a year is one statement, not 365, which is
  // cheaper than a statement per bucket.
  /** Bucket edges as the JSON array of [start, end] pairs those statements take. */
  const bucketPairs = (edges: number[]) => JSON.stringify(edges.slice(0, -1).map((start, i) => [start, edges[i + 1]]));
  const perBucket = (subquery: string) =>
    c
      .prepare<[{ pk: number; edges: string }], number | null>(
        `SELECT (${subquery}) FROM json_each(@edges) e ORDER BY e.key`,
      )
      .pluck(true);
  // Every aggregation that way over the hourly roll-ups.
  const perBucketAggs = () => {
    const inBucket = `FROM rollups_1h WHERE metric_pk = @pk AND start >= e.value ->> 0 AND start < e.value ->> 1`;
    const one = (expr: string) => perBucket(`SELECT ${expr} ${inBucket}`);
    return {
      avg: one('sum(sum) / sum(count)'),
      min: one('min(min)'),
      max: one('max(max)'),
      sum: one('sum(sum)'),
      count: one('sum(count)'),
      // A scalar subquery has one column: the first and last roll-up by key order, not min()/max().
      first: perBucket(`SELECT first ${inBucket} ORDER BY start LIMIT 1`),
      last: perBucket(`SELECT last ${inBucket} ORDER BY start DESC LIMIT 1`),
      delta: one('sum(delta_in + delta_prev)'),
    };
  };
  const rollOnes = perBucketAggs();
  const firstRollup = c
    .prepare<[number, number, number], number>(
      'SELECT start FROM rollups_1h WHERE metric_pk = ? AND start >= ? AND start < ? ORDER BY start LIMIT 1',
    )
    .pluck(true);
  const lastRollup = c
    .prepare<[number, number, number], number>(
      'SELECT start FROM rollups_1h WHERE metric_pk = ? AND start >= ? AND start < ? ORDER BY start DESC LIMIT 1',
    )
    .pluck(true);
  // Daily roll-ups are read as one key range and folded into buckets (series.ts, foldDays).
  const dayRange = c
    .prepare<[number, number, number], DayRow>(
      'SELECT start, count, sum, min, max, first, last, delta FROM rollups_1d WHERE metric_pk = ? AND start >= ? AND start < ? ORDER BY start',
    )
    .raw(true);
  const setLatest = c.prepare(
    'UPDATE metrics SET latest_ts = ?, latest_value = ?, latest_received_at = ? WHERE pk = ? AND (latest_ts IS NULL OR latest_ts <= ?)',
  );
  const rawAggs = {
    avg: rawAgg('avg(value)'),
    min: rawAgg('min(value)'),
    max: rawAgg('max(value)'),
    sum: rawAgg('sum(value)'),
    count: rawAgg('count(*)'),
    first: rawAgg('value, min(ts)'),
    last: rawAgg('value, max(ts)'),
  };
  // Raw `delta` takes lag() from one reading before the window, so its first step counts. lag()
  // is computed once per row and the step outside the window query: three lag() calls per row
  // make a week of 15-minute counter buckets noticeably slower.
  const rawDelta = c
    .prepare<[{ pk: number; s: number; e: number; w: number; p: number }], [number, number]>(
      `SELECT i, sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END) FROM (
       SELECT (ts - CAST(@s AS INTEGER)) / CAST(@w AS INTEGER) AS i, ts, value, lag(value) OVER (ORDER BY ts) AS prev
         FROM readings WHERE metric_pk = @pk AND ts >= @p AND ts < @e)
      WHERE ts >= @s GROUP BY i`,
    )
    .raw(true);
  // Per metric, so each delete is a range of the primary key and the write lock is held briefly.
  const metricPks = c.prepare<[], [number]>('SELECT pk FROM metrics').raw(true);
  const purge = c.prepare('DELETE FROM readings WHERE metric_pk = ? AND ts < ?');
  const before = c.prepare<[number, number], { ts: number; value: number }>(
    'SELECT ts, value FROM readings WHERE metric_pk = ? AND ts < ? ORDER BY ts DESC LIMIT 1',
  );

  // As an array (building a row object slows this lookup markedly): fields in StoredRollup's order.
  const getRollup = c
    .prepare<[number, number], StoredRollup>(
      'SELECT count, sum, min, max, first, last, first_ts, last_ts, delta_in, delta_prev FROM rollups_1h WHERE metric_pk = ? AND start = ?',
    )
    .raw(true);

  /** Writes an hour's roll-up and the next hour's step from it; returns that next hour's start, if any. */
  function writeRollup(metricPk: number, start: number, r: Partial, deltaPrev: number): number | undefined {
    putRollup.run(
      metricPk,
      start,
      r.count,
      r.sum,
      r.min,
      r.max,
      r.first,
      r.last,
      r.firstTs,
      r.lastTs,
      r.deltaIn,
      deltaPrev,
    );
    const next = nextRollup.get(metricPk, start);
    if (next) setDeltaPrev.run(counterIncrease(r.last, next.first), metricPk, next.start);
    return next?.start;
  }

  /**
   * Brings one metric-hour's roll-up up to date after `fresh` (ascending, distinct timestamps) was
   * written, and the next hour's step from it. The common case, readings arriving in order, merges
   * them into the stored roll-up; anything else (a late or replaced reading) rebuilds the hour.
   */
  function refreshHour(metricPk: number, start: number, fresh: [number, number][]): number | undefined {
    const stored = getRollup.get(metricPk, start);
    if (stored && stored[7] /* last_ts */ < fresh[0][0]) {
      const [count, sum, min, max, first, last, firstTs, , deltaIn, deltaPrev] = stored;
      const add = rollupOf(start, fresh);
      const merged: Partial = {
        start,
        count: count + add.count,
        sum: sum + add.sum,
        min: Math.min(min, add.min),
        max: Math.max(max, add.max),
        first,
        firstTs,
        last: add.last,
        lastTs: add.lastTs,
        deltaIn: deltaIn + counterIncrease(last, add.first) + add.deltaIn,
      };
      return writeRollup(metricPk, start, merged, deltaPrev);
    }
    // No roll-up means no reading in this hour before this batch: the batch's rows are all of it.
    const rows = stored ? rowsBetween.all(metricPk, start, start + HOUR_MS) : fresh;
    const prev = prevRollup.get(metricPk, start);
    const r = rollupOf(start, rows);
    return writeRollup(metricPk, start, r, prev ? counterIncrease(prev.last, r.first) : 0);
  }

  const foldPendingOf = c.transaction((metricPk: number) => dailies.foldPendingOf(metricPk));
  const foldSome = c.transaction((limit: number) => dailies.foldSomePending(limit));

  // One synchronous transaction: readings, roll-ups and latest values commit together or not at all.
  const ingestTx = c.transaction((rows: ReadingRow[], receivedAt: number) => {
    const groups = groupByHour(rows);
    for (const r of rows) upsert.run(r.metricPk, r.ts, r.value);
    // The hours of the current metric whose roll-ups changed: theirs, and each next hour's step.
    const changed: number[] = [];
    // The current metric's readings over all its hours, for onIngest (most batches: one hour).
    let metricFresh: [number, number][] | undefined;
    // Hours ascending, so each hour's step from its predecessor sees the predecessor already rebuilt.
    groups.forEach(([pk, start, fresh], i) => {
      changed.push(start);
      const next = refreshHour(pk, start, fresh);
      if (next !== undefined) changed.push(next);
      // A metric's last hour holds its newest reading; the days of its changed hours are listed once.
      const last = groups[i + 1]?.[0] !== pk;
      if (onIngest && (metricFresh || !last)) (metricFresh ??= []).push(...fresh);
      if (last) {
        onIngest?.(pk, metricFresh ?? fresh, receivedAt);
        metricFresh = undefined;
        const [ts, value] = fresh[fresh.length - 1];
        setLatest.run(ts, value, receivedAt, pk, ts);
        const tz = dailies.zoneOf(pk);
        if (tz !== null) dailies.mark(pk, tz, changed);
        changed.length = 0;
      }
    });
    return rows.length;
  });

  const reads: SeriesReads = {
    async rawBucketed(metricPk, start, end, width, agg) {
      if (agg === 'delta') {
        const p = before.get(metricPk, start)?.ts ?? start;
        return rawDelta.all({ pk: metricPk, s: start, e: end, w: width, p });
      }
      return rawAggs[agg].all({ pk: metricPk, s: start, e: end, w: width });
    },
    async rollupExtent(metricPk, start, end) {
      const first = firstRollup.get(metricPk, start, end);
      return first === undefined ? null : [first, lastRollup.get(metricPk, start, end)!];
    },
    async rollupPerBucket(metricPk, edges, agg) {
      return rollOnes[agg].all({ pk: metricPk, edges: bucketPairs(edges) });
    },
    async dailyPerBucket(metricPk, tz, edges, agg) {
      // Checked, folded and read in one synchronous step: a change of zone cannot come in between.
      if (dailies.zoneOf(metricPk) !== tz) return null;
      foldPendingOf(metricPk);
      return foldDays(dayRange.all(metricPk, edges[0], edges[edges.length - 1]), edges, agg);
    },
    async rollupBucketed(metricPk, start, end, width, agg) {
      return rollAggs[agg].all({ pk: metricPk, s: start, e: end, w: width });
    },
  };

  return {
    ...reads,
    /** One value per bucket of `w`, read from the table that answers its buckets (src/db/series.ts). */
    async series(metricPk: number, w: SeriesWindow, agg: Aggregation): Promise<(number | null)[]> {
      return readSeries(reads, metricPk, w, agg);
    },
    /** Upserts readings (same metric and timestamp replaces), refreshes roll-ups and latest values. */
    async ingest(rows: ReadingRow[], receivedAt = Date.now()): Promise<number> {
      return ingestTx(rows, receivedAt);
    },
    /** Deletes raw readings older than `ts` (roll-ups stay); returns how many went. */
    async deleteBefore(ts: number): Promise<number> {
      let total = 0;
      for (const [pk] of metricPks.all()) {
        total += purge.run(pk, ts).changes;
        await new Promise((r) => setImmediate(r)); // let requests in between metrics
      }
      return total;
    },
    /** Folds up to `limit` days that ingestion changed into the daily roll-ups; returns how many. */
    async foldPendingDailies(limit = 2_000): Promise<number> {
      return foldSome(limit);
    },
    /** Builds the daily roll-ups of sites that lack them (a database from before them), one site per transaction. */
    async buildPendingDailies(stop: () => boolean = () => false): Promise<number> {
      const sites = dailies.pendingSites();
      for (const id of sites) {
        await new Promise((r) => setImmediate(r)); // let start-up and requests go first
        if (stop()) break;
        c.transaction(() => dailies.rebuildIfPending(id))();
      }
      return sites.length;
    },
  };
}

export type ReadingsRepository = ReturnType<typeof readingsRepository>;
