// Readings and their hourly and daily roll-ups on PostgreSQL: the twin of
// ../../repositories/readings.ts. A batch is one transaction of a few set-based statements
// (multi-row upsert of the readings from arrays, one read of the stored roll-ups and their
// neighbours, one upsert of the new roll-ups); the roll-up maths is the SQLite repository's own
// (../../rollup-math.ts), so both databases store the same sums. Each metric's roll-ups are
// read-modify-write, so a batch takes its metrics' advisory locks in ascending order (dailies.ts,
// lockMetrics) after storing its raw readings and before reading any roll-up: two writers of one
// metric-hour then maintain its roll-ups one after the other. Then it locks the metrics' rows,
// which stands in for a foreign key (lockMetricRows).
// Readings are partitioned by month (drizzle-pg's readings migration); partitions are created
// ahead and on demand, and retention drops whole partitions.
import type { PoolClient } from 'pg';
import type { Repositories } from '../../repositories/index.js';
import { groupByHour, rollupOf, type ReadingRow } from '../../rollup-math.js';
import { foldDays, readSeries, type DayRow, type SeriesReads } from '../../series.js';
import { counterIncrease, type Aggregation, type Partial } from '../../../timeseries/aggregate.js';
import { HOUR_MS } from '../../../time.js';
import * as dailies from './dailies.js';
import { transaction, type PgHandle } from './sql.js';

/** Called inside the ingestion transaction with each metric's new readings (ascending): alarm evaluation. */
export type PgOnIngest = (
  c: PoolClient,
  metricPk: number,
  fresh: readonly (readonly [number, number])[],
  receivedAt: number,
) => Promise<void>;

/** The month (UTC) holding `ts`, as [start, end) in milliseconds: one readings partition. */
export function monthOf(ts: number): [number, number] {
  const d = new Date(ts);
  return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)];
}

// SQLSTATE 23514 with this message: a row for which no partition exists.
const noPartition = (err: unknown) => /no partition of relation/.test((err as Error | null)?.message ?? '');

interface Neighbours {
  i: number;
  count: number | null;
  sum: number;
  min: number;
  max: number;
  first: number;
  last: number;
  first_ts: number;
  last_ts: number;
  delta_in: number;
  p_start: number | null;
  p_last: number | null;
  n_start: number | null;
  n_first: number | null;
}

/**
 * What the readings' foreign key to metrics did, once per batch instead of once per row (the
 * schema says why there is none): the batch's metric rows locked FOR KEY SHARE until the
 * transaction ends, so a deletion waits for it (and the deletion's trigger then removes these
 * readings too), and a batch naming a missing metric refused whole. Returns each metric's zone of
 * daily roll-ups (null while they are not complete), read here under the metrics' locks.
 */
async function lockMetricRows(c: PoolClient, pks: number[]): Promise<Map<number, string | null>> {
  const r = await c.query<{ pk: number; tz: string | null }>(
    `SELECT m.pk, s.daily_tz AS tz FROM metrics m JOIN sites s ON s.id = m.site_id WHERE m.pk = ANY($1::int4[])
     ORDER BY m.pk FOR KEY SHARE OF m`,
    [pks],
  );
  if (r.rows.length < pks.length) {
    const found = new Set(r.rows.map((x) => x.pk));
    const missing = pks.filter((pk) => !found.has(pk));
    // Worded and coded as PostgreSQL's own foreign-key violation, which callers already handle.
    throw Object.assign(
      new Error(`insert on table "readings" violates foreign key constraint: no metric ${missing.join(', ')}`),
      { code: '23503' },
    );
  }
  return new Map(r.rows.map((x) => [x.pk, x.tz]));
}

/** What the alarm evaluator writes at the end of an ingestion transaction (alarms.ts). */
export interface PgIngestEvents {
  flush(c: PoolClient): Promise<void>;
  discard(c: PoolClient): void;
}

export function pgReadingsRepository(
  db: PgHandle,
  onIngest?: PgOnIngest,
  events?: PgIngestEvents,
): Repositories['readings'] {
  const pool = db.$client;
  /** Months whose readings partition this process knows to exist. */
  const months = new Set<number>();

  async function ensurePartitions(starts: number[]): Promise<void> {
    const missing = [...new Set(starts.map((s) => monthOf(s)[0]))].filter((m) => !months.has(m));
    if (missing.length === 0) return;
    // Its own transaction: creating a partition locks the parent, which must not wait inside a batch.
    await pool.query('SELECT create_readings_partitions(m, m + 1) FROM unnest($1::int8[]) m', [missing]);
    for (const m of missing) months.add(m);
  }

  async function ingestTx(c: PoolClient, groups: ReturnType<typeof groupByHour>, receivedAt: number): Promise<void> {
    try {
      await writeBatch(c, groups, receivedAt);
      if (events) await events.flush(c);
    } catch (err) {
      events?.discard(c);
      throw err;
    }
  }

  async function writeBatch(c: PoolClient, groups: ReturnType<typeof groupByHour>, receivedAt: number): Promise<void> {
    const pks = [...new Set(groups.map((g) => g[0]))];
    // One row per metric and timestamp (groupByHour keeps the last value sent), as arrays.
    const rp: number[] = [];
    const rt: number[] = [];
    const rv: number[] = [];
    for (const [pk, , fresh] of groups)
      for (const [ts, value] of fresh) {
        rp.push(pk);
        rt.push(ts);
        rv.push(value);
      }
    await c.query(
      `INSERT INTO readings (metric_pk, ts, value) SELECT * FROM unnest($1::int4[], $2::int8[], $3::float8[])
       ON CONFLICT (metric_pk, ts) DO UPDATE SET value = excluded.value`,
      [rp, rt, rv],
    );
    // The raw rows go in before the locks: what the roll-ups read under them is committed rows and
    // the batch's own, so two writers of one metric store their readings at the same time and take
    // turns only for the roll-ups. Rows go in ascending (metric, ts) order (groupByHour), so two
    // batches writing the same keys wait for each other in one direction and cannot deadlock.
    await dailies.lockMetrics(c, pks);
    const zones = await lockMetricRows(c, pks);
    const gp = groups.map((g) => g[0]);
    const gs = groups.map((g) => g[1]);
    // Each hour's stored roll-up, the roll-up before it (its last value steps into this hour) and
    // the one after it (whose step from this hour changes), in one statement.
    const stored = (
      await c.query<Neighbours>(
        `SELECT g.i::int AS i, r.count, r.sum, r.min, r.max, r.first, r.last, r.first_ts, r.last_ts, r.delta_in,
           p.start AS p_start, p.last AS p_last, n.start AS n_start, n.first AS n_first
         FROM unnest($1::int4[], $2::int8[]) WITH ORDINALITY g(pk, start, i)
         LEFT JOIN rollups_1h r ON r.metric_pk = g.pk AND r.start = g.start
         LEFT JOIN LATERAL (SELECT start, last FROM rollups_1h WHERE metric_pk = g.pk AND start < g.start
           ORDER BY start DESC LIMIT 1) p ON true
         LEFT JOIN LATERAL (SELECT start, first FROM rollups_1h WHERE metric_pk = g.pk AND start > g.start
           ORDER BY start LIMIT 1) n ON true
         ORDER BY g.i`,
        [gp, gs],
      )
    ).rows;
    // Hours that a late or replaced reading changed are rebuilt from their raw readings.
    const rebuild = groups
      .map((g, i) => i)
      .filter((i) => stored[i].count !== null && Number(stored[i].last_ts) >= groups[i][2][0][0]);
    const raw = new Map<number, [number, number][]>();
    if (rebuild.length) {
      const r = await c.query<[number, number, number]>({
        text: `SELECT g.i::int, r.ts, r.value FROM unnest($1::int4[], $2::int8[], $3::int4[]) g(pk, start, i)
               JOIN readings r ON r.metric_pk = g.pk AND r.ts >= g.start AND r.ts < g.start + ${HOUR_MS}
               ORDER BY g.i, r.ts`,
        values: [rebuild.map((i) => gp[i]), rebuild.map((i) => gs[i]), rebuild],
        rowMode: 'array',
      });
      for (const [i, ts, value] of r.rows) {
        const rows = raw.get(i) ?? [];
        rows.push([Number(ts), value]);
        raw.set(i, rows);
      }
    }
    const out: { pk: number; r: Partial; deltaPrev: number }[] = [];
    const nexts: { pk: number; start: number; deltaPrev: number }[] = [];
    const changed = new Map<number, number[]>();
    let previous: { pk: number; start: number; last: number } | undefined;
    groups.forEach(([pk, start, fresh], i) => {
      const s = stored[i];
      let r: Partial;
      if (s.count !== null && Number(s.last_ts) < fresh[0][0]) {
        const add = rollupOf(start, fresh);
        r = {
          start,
          count: s.count + add.count,
          sum: s.sum + add.sum,
          min: Math.min(s.min, add.min),
          max: Math.max(s.max, add.max),
          first: s.first,
          firstTs: Number(s.first_ts),
          last: add.last,
          lastTs: add.lastTs,
          deltaIn: s.delta_in + counterIncrease(s.last, add.first) + add.deltaIn,
        };
      } else r = rollupOf(start, s.count !== null ? raw.get(i)! : fresh);
      // The roll-up before this hour: this batch's previous hour of the metric if no stored one lies between.
      const storedPrev = s.p_start === null ? undefined : { start: Number(s.p_start), last: s.p_last! };
      const inBatch = previous?.pk === pk ? previous : undefined;
      const prev = inBatch && (!storedPrev || inBatch.start >= storedPrev.start) ? inBatch : storedPrev;
      out.push({ pk, r, deltaPrev: prev ? counterIncrease(prev.last, r.first) : 0 });
      const hours = changed.get(pk) ?? [];
      hours.push(start);
      // The stored hour after this one steps from its last value, unless this batch writes an hour in between.
      const following = groups[i + 1]?.[0] === pk ? groups[i + 1][1] : Infinity;
      if (s.n_start !== null && Number(s.n_start) < following) {
        nexts.push({ pk, start: Number(s.n_start), deltaPrev: counterIncrease(r.last, s.n_first!) });
        hours.push(Number(s.n_start));
      }
      changed.set(pk, hours);
      previous = { pk, start, last: r.last };
    });
    await c.query(
      `INSERT INTO rollups_1h (metric_pk, start, count, sum, min, max, first, last, first_ts, last_ts, delta_in, delta_prev)
       SELECT * FROM unnest($1::int4[], $2::int8[], $3::int4[], $4::float8[], $5::float8[], $6::float8[], $7::float8[],
         $8::float8[], $9::int8[], $10::int8[], $11::float8[], $12::float8[])
       ON CONFLICT (metric_pk, start) DO UPDATE SET count = excluded.count, sum = excluded.sum, min = excluded.min,
         max = excluded.max, first = excluded.first, last = excluded.last, first_ts = excluded.first_ts,
         last_ts = excluded.last_ts, delta_in = excluded.delta_in, delta_prev = excluded.delta_prev`,
      [
        out.map((o) => o.pk),
        out.map((o) => o.r.start),
        out.map((o) => o.r.count),
        out.map((o) => o.r.sum),
        out.map((o) => o.r.min),
        out.map((o) => o.r.max),
        out.map((o) => o.r.first),
        out.map((o) => o.r.last),
        out.map((o) => o.r.firstTs),
        out.map((o) => o.r.lastTs),
        out.map((o) => o.r.deltaIn),
        out.map((o) => o.deltaPrev),
      ],
    );
    if (nexts.length)
      await c.query(
        `UPDATE rollups_1h r SET delta_prev = u.d FROM unnest($1::int4[], $2::int8[], $3::float8[]) u(pk, start, d)
         WHERE r.metric_pk = u.pk AND r.start = u.start`,
        [nexts.map((n) => n.pk), nexts.map((n) => n.start), nexts.map((n) => n.deltaPrev)],
      );
    // Alarm evaluation reads each metric's latest_ts as the newest reading already evaluated: before it moves.
    const latest: [number, number, number][] = [];
    for (const pk of pks) {
      const fresh = groups.filter((g) => g[0] === pk).flatMap((g) => g[2]);
      if (onIngest) await onIngest(c, pk, fresh, receivedAt);
      const [ts, value] = fresh[fresh.length - 1];
      latest.push([pk, ts, value]);
    }
    await c.query(
      `UPDATE metrics m SET latest_ts = u.ts, latest_value = u.v, latest_received_at = $4
       FROM unnest($1::int4[], $2::int8[], $3::float8[]) u(pk, ts, v)
       WHERE m.pk = u.pk AND (m.latest_ts IS NULL OR m.latest_ts <= u.ts)`,
      [latest.map((l) => l[0]), latest.map((l) => l[1]), latest.map((l) => l[2]), receivedAt],
    );
    await dailies.markDays(
      c,
      [...changed].flatMap(([pk, hours]) => {
        const tz = zones.get(pk);
        return tz ? [{ pk, tz, hours }] : [];
      }),
    );
  }

  // ---- series reads ----
  // Fixed-width buckets aggregated over a key range: bucket i = (t - start) / width. Float sums in
  // key order (sum(… ORDER BY …)), so an answer does not depend on how the rows lie on disk.
  const bucketed = (table: 'readings' | 'rollups_1h', t: 'ts' | 'start', expr: string) =>
    `SELECT ((${t} - $2::int8) / $4::int8)::int AS i, ${expr} FROM ${table}
     WHERE metric_pk = $1 AND ${t} >= $2::int8 AND ${t} < $3::int8 GROUP BY 1`;
  const rollAggs: Record<Aggregation, string> = {
    avg: bucketed('rollups_1h', 'start', 'sum(sum ORDER BY start) / sum(count)'),
    min: bucketed('rollups_1h', 'start', 'min(min)'),
    max: bucketed('rollups_1h', 'start', 'max(max)'),
    sum: bucketed('rollups_1h', 'start', 'sum(sum ORDER BY start)'),
    count: bucketed('rollups_1h', 'start', 'sum(count)::float8'),
    first: bucketed('rollups_1h', 'start', '(array_agg(first ORDER BY start))[1]'),
    last: bucketed('rollups_1h', 'start', '(array_agg(last ORDER BY start DESC))[1]'),
    delta: bucketed('rollups_1h', 'start', 'sum(delta_in + delta_prev ORDER BY start)'),
  };
  const rawAggs: Record<Exclude<Aggregation, 'delta'>, string> = {
    avg: bucketed('readings', 'ts', 'sum(value ORDER BY ts) / count(*)'),
    min: bucketed('readings', 'ts', 'min(value)'),
    max: bucketed('readings', 'ts', 'max(value)'),
    sum: bucketed('readings', 'ts', 'sum(value ORDER BY ts)'),
    count: bucketed('readings', 'ts', 'count(*)::float8'),
    first: bucketed('readings', 'ts', '(array_agg(value ORDER BY ts))[1]'),
    last: bucketed('readings', 'ts', '(array_agg(value ORDER BY ts DESC))[1]'),
  };
  // Raw `delta` takes lag() from one reading before the window, so its first step counts.
  const rawDelta = `SELECT i, sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END ORDER BY ts)
    FROM (SELECT ((ts - $2::int8) / $4::int8)::int AS i, ts, value, lag(value) OVER (ORDER BY ts) AS prev
      FROM readings WHERE metric_pk = $1 AND ts < $3::int8
        AND ts >= coalesce((SELECT max(ts) FROM readings WHERE metric_pk = $1 AND ts < $2::int8), $2::int8)) x
    WHERE ts >= $2::int8 GROUP BY i`;
  // One value per bucket [s, e): a range read per bucket, the buckets as two arrays.
  const perBucket = (): Record<Aggregation, string> => {
    const inBucket = `FROM rollups_1h WHERE metric_pk = $1 AND start >= e.s AND start < e.e`;
    const one = (expr: string) =>
      `SELECT (SELECT ${expr} ${inBucket}) FROM unnest($2::int8[], $3::int8[]) WITH ORDINALITY e(s, e, i) ORDER BY e.i`;
    return {
      avg: one('sum(sum ORDER BY start) / sum(count)'),
      min: one('min(min)'),
      max: one('max(max)'),
      sum: one('sum(sum ORDER BY start)'),
      count: one('sum(count)::float8'),
      first: one('(array_agg(first ORDER BY start))[1]'),
      last: one('(array_agg(last ORDER BY start DESC))[1]'),
      delta: one('sum(delta_in + delta_prev ORDER BY start)'),
    };
  };
  const rollOnes = perBucket();
  // Two index probes: the first and the last roll-up of the range.
  const rollupExtent = `SELECT (SELECT start FROM rollups_1h WHERE metric_pk = $1 AND start >= $2 AND start < $3 ORDER BY start LIMIT 1),
    (SELECT start FROM rollups_1h WHERE metric_pk = $1 AND start >= $2 AND start < $3 ORDER BY start DESC LIMIT 1)`;
  // Daily roll-ups are read as one key range and folded into buckets (series.ts, foldDays).
  const dayRange =
    'SELECT start, count, sum, min, max, first, last, delta FROM rollups_1d WHERE metric_pk = $1 AND start >= $2 AND start < $3 ORDER BY start';
  const pairs = async (text: string, values: unknown[]): Promise<[number, number][]> =>
    (await pool.query<[number, number]>({ text, values, rowMode: 'array' })).rows;
  const column = async (text: string, pk: number, edges: number[]) =>
    (
      await pool.query<[number | null]>({
        text,
        values: [pk, edges.slice(0, -1), edges.slice(1)],
        rowMode: 'array',
      })
    ).rows.map((r) => r[0]);

  const reads: SeriesReads = {
    async rawBucketed(metricPk, start, end, width, agg) {
      return pairs(agg === 'delta' ? rawDelta : rawAggs[agg], [metricPk, start, end, width]);
    },
    async rollupBucketed(metricPk, start, end, width, agg) {
      return pairs(rollAggs[agg], [metricPk, start, end, width]);
    },
    async rollupExtent(metricPk, start, end) {
      const { rows } = await pool.query<[number | null, number | null]>({
        text: rollupExtent,
        values: [metricPk, start, end],
        rowMode: 'array',
      });
      const [first, last] = rows[0];
      return first === null ? null : [first, last!];
    },
    async rollupPerBucket(metricPk, edges, agg) {
      return column(rollOnes[agg], metricPk, edges);
    },
    async dailyPerBucket(metricPk, tz, edges, agg) {
      // Checked and folded under the metric's lock, then read: a change of zone rebuilds under the same lock.
      const ok = await transaction(pool, async (c) => {
        if ((await dailies.zonesOf(c, [metricPk])).get(metricPk) !== tz) return false;
        await dailies.foldPendingOf(c, metricPk);
        return true;
      });
      if (!ok) return null;
      const { rows } = await pool.query<DayRow>({
        text: dayRange,
        values: [metricPk, edges[0], edges[edges.length - 1]],
        rowMode: 'array',
      });
      return foldDays(rows, edges, agg);
    },
  };

  return {
    ...reads,
    async series(metricPk, w, agg) {
      return readSeries(reads, metricPk, w, agg);
    },
    async ingest(rows: ReadingRow[], receivedAt = Date.now()): Promise<number> {
      if (rows.length === 0) return 0;
      const groups = groupByHour(rows);
      await ensurePartitions(groups.map((g) => g[1]));
      try {
        await transaction(pool, (c) => ingestTx(c, groups, receivedAt));
      } catch (err) {
        // Another node's retention dropped a partition this process had seen: make it and go again.
        if (!noPartition(err)) throw err;
        months.clear();
        await ensurePartitions(groups.map((g) => g[1]));
        await transaction(pool, (c) => ingestTx(c, groups, receivedAt));
      }
      return rows.length;
    },
    async deleteBefore(ts) {
      // Partition maintenance rides on the retention job: the next two months exist before their readings come.
      const now = Date.now();
      await pool.query('SELECT create_readings_partitions($1, $2)', [monthOf(now)[0], monthOf(monthOf(now)[1])[1]]);
      // Partitions wholly before `ts` are dropped; the one holding `ts` loses its older rows.
      const parts = await pool.query<{ name: string; bound: string }>(
        `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass`,
      );
      let total = 0;
      for (const { name, bound } of parts.rows) {
        const [lo, hi] = (bound.match(/\d+/g) ?? []).map(Number);
        if (!(hi <= ts) && !(lo < ts)) continue;
        total += await transaction(pool, async (c) => {
          const table = `"${name.replace(/"/g, '""')}"`;
          if (hi <= ts) {
            await c.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
            const n = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
            await c.query(`DROP TABLE ${table}`);
            months.delete(lo);
            return n;
          }
          return (await c.query(`DELETE FROM ${table} WHERE ts < $1`, [ts])).rowCount ?? 0;
        });
      }
      return total;
    },
    async foldPendingDailies(limit = 2_000) {
      return transaction(pool, (c) => dailies.foldSomePending(c, limit));
    },
    async buildPendingDailies(stop = () => false) {
      const sites = await dailies.pendingSites(pool);
      for (const id of sites) {
        if (stop()) break;
        await transaction(pool, (c) => dailies.rebuildIfPending(c, id));
      }
      return sites.length;
    },
  };
}
