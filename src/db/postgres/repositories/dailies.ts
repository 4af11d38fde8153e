// Daily roll-ups on PostgreSQL: the twin of ../../repositories/dailies.ts, with the same invariant
// (every day of a site's metrics in sites.daily_tz is folded in rollups_1d or listed in
// rollups_1d_pending). What SQLite's single writer gave for free is explicit here: folding a
// metric's days takes that metric's ingestion lock (lockMetrics), so a fold never reads hours that
// an ingestion in flight is changing and then drops the pending row that ingestion relied on.
import { bucketStarts, localDay } from '../../../timeseries/buckets.js';
import { HOUR_MS } from '../../../time.js';
import type { Queryable } from './sql.js';

/** The first key of the two-key advisory locks that serialize each metric's roll-ups. */
const ROLLUP_LOCKS = 0x5357_0001;

/** Takes each metric's roll-up lock until the transaction ends, in ascending order, so two transactions cannot deadlock. */
export async function lockMetrics(c: Queryable, metricPks: number[]): Promise<void> {
  if (metricPks.length === 0) return;
  await c.query('SELECT pg_advisory_xact_lock($1, k) FROM (SELECT DISTINCT unnest($2::int4[]) AS k ORDER BY 1) s', [
    ROLLUP_LOCKS,
    metricPks,
  ]);
}

// One statement folds any set of one metric's days; sums in hour order, as the hourly reads sum
// them, so a day read from rollups_1d equals the same day read from rollups_1h to the last bit.
const FOLD = `INSERT INTO rollups_1d (metric_pk, start, count, sum, min, max, first, last, delta)
  SELECT $1::int4, d.s, sum(h.count), sum(h.sum ORDER BY h.start), min(h.min), max(h.max),
    (array_agg(h.first ORDER BY h.start))[1], (array_agg(h.last ORDER BY h.start DESC))[1],
    sum(h.delta_in + h.delta_prev ORDER BY h.start)
  FROM unnest($2::int8[], $3::int8[]) d(s, e) JOIN rollups_1h h ON h.metric_pk = $1 AND h.start >= d.s AND h.start < d.e
  GROUP BY d.s
  ON CONFLICT (metric_pk, start) DO UPDATE SET count = excluded.count, sum = excluded.sum, min = excluded.min,
    max = excluded.max, first = excluded.first, last = excluded.last, delta = excluded.delta`;

// Days per fold statement, so one statement's arrays stay small.
const CHUNK = 500;

async function foldDays(c: Queryable, pk: number, days: [number, number][]): Promise<void> {
  for (let i = 0; i < days.length; i += CHUNK) {
    const part = days.slice(i, i + CHUNK);
    await c.query(FOLD, [pk, part.map((d) => d[0]), part.map((d) => d[1])]);
  }
}

/** The zone of each metric's daily roll-ups (null while they are not complete). */
export async function zonesOf(c: Queryable, metricPks: number[]): Promise<Map<number, string | null>> {
  const r = await c.query<{ pk: number; tz: string | null }>(
    'SELECT m.pk, s.daily_tz AS tz FROM metrics m JOIN sites s ON s.id = m.site_id WHERE m.pk = ANY($1::int4[])',
    [metricPks],
  );
  return new Map(r.rows.map((x) => [x.pk, x.tz]));
}

/** Lists the local days (in each metric's zone) of the hours whose roll-ups changed as pending. Call in the ingestion transaction. */
export async function markDays(c: Queryable, changed: { pk: number; tz: string; hours: number[] }[]): Promise<void> {
  const pks: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (const { pk, tz, hours } of changed) {
    let last: [number, number] | null = null;
    for (const h of hours) {
      if (last && h >= last[0] && h < last[1]) continue;
      last = localDay(h, tz);
      if (last) {
        pks.push(pk);
        starts.push(last[0]);
        ends.push(last[1]);
      }
    }
  }
  if (pks.length === 0) return;
  await c.query(
    `INSERT INTO rollups_1d_pending (metric_pk, start, "end") SELECT * FROM unnest($1::int4[], $2::int8[], $3::int8[])
     ON CONFLICT DO NOTHING`,
    [pks, starts, ends],
  );
}

/** Folds the pending days of one metric. Call in a transaction. */
export async function foldPendingOf(c: Queryable, pk: number): Promise<void> {
  await lockMetrics(c, [pk]);
  const r = await c.query<{ start: number; end: number }>(
    'SELECT start, "end" FROM rollups_1d_pending WHERE metric_pk = $1',
    [pk],
  );
  if (r.rows.length === 0) return;
  await foldDays(
    c,
    pk,
    r.rows.map((d) => [Number(d.start), Number(d.end)]),
  );
  await c.query('DELETE FROM rollups_1d_pending WHERE metric_pk = $1', [pk]);
}

/** Folds up to `limit` pending days of any metric; returns how many. Call in a transaction. */
export async function foldSomePending(c: Queryable, limit: number): Promise<number> {
  const r = await c.query<{ pk: number; start: number; end: number }>(
    'SELECT metric_pk AS pk, start, "end" FROM rollups_1d_pending ORDER BY metric_pk, start LIMIT $1',
    [limit],
  );
  if (r.rows.length === 0) return 0;
  const byMetric = new Map<number, [number, number][]>();
  for (const d of r.rows) {
    const days = byMetric.get(d.pk) ?? [];
    days.push([Number(d.start), Number(d.end)]);
    byMetric.set(d.pk, days);
  }
  await lockMetrics(c, [...byMetric.keys()]);
  for (const [pk, days] of byMetric) {
    await foldDays(c, pk, days);
    await c.query('DELETE FROM rollups_1d_pending WHERE metric_pk = $1 AND start = ANY($2::int8[])', [
      pk,
      days.map((d) => d[0]),
    ]);
  }
  return r.rows.length;
}

/** Rebuilds every daily roll-up of a site's metrics in `tz` and records the zone. Call in a transaction. */
export async function rebuildSite(c: Queryable, siteId: string, tz: string): Promise<void> {
  const metrics = await c.query<{ pk: number; first: number | null; last: number | null }>(
    `SELECT m.pk, (SELECT min(start) FROM rollups_1h WHERE metric_pk = m.pk) AS first,
       (SELECT max(start) FROM rollups_1h WHERE metric_pk = m.pk) AS last
     FROM metrics m WHERE m.site_id = $1 ORDER BY m.pk`,
    [siteId],
  );
  await lockMetrics(
    c,
    metrics.rows.map((m) => m.pk),
  );
  await c.query('DELETE FROM rollups_1d WHERE metric_pk IN (SELECT pk FROM metrics WHERE site_id = $1)', [siteId]);
  await c.query('DELETE FROM rollups_1d_pending WHERE metric_pk IN (SELECT pk FROM metrics WHERE site_id = $1)', [
    siteId,
  ]);
  // The hours' range is read again under the locks: an ingestion may have added hours meanwhile.
  for (const { pk } of metrics.rows) {
    const range = await c.query<{ first: number | null; last: number | null }>(
      'SELECT min(start) AS first, max(start) AS last FROM rollups_1h WHERE metric_pk = $1',
      [pk],
    );
    const { first, last } = range.rows[0];
    if (first === null || last === null) continue;
    const days = bucketStarts(Number(first), Number(last) + HOUR_MS, '1d', tz)
      .map((s) => localDay(s, tz))
      .filter((d) => d !== null);
    await foldDays(c, pk, days);
  }
  await c.query('UPDATE sites SET daily_tz = $1 WHERE id = $2', [tz, siteId]);
}

/** Sites whose daily roll-ups are missing or in another zone than the site's. */
export async function pendingSites(c: Queryable): Promise<string[]> {
  const r = await c.query<{ id: string }>(
    'SELECT id FROM sites WHERE daily_tz IS NULL OR daily_tz <> timezone ORDER BY id COLLATE "C"',
  );
  return r.rows.map((x) => x.id);
}

/** Rebuilds a site's daily roll-ups if they are still missing or in another zone. Call in a transaction. */
export async function rebuildIfPending(c: Queryable, siteId: string): Promise<void> {
  const r = await c.query<{ timezone: string }>(
    'SELECT timezone FROM sites WHERE id = $1 AND (daily_tz IS NULL OR daily_tz <> timezone) FOR UPDATE',
    [siteId],
  );
  if (r.rows.length) await rebuildSite(c, siteId, r.rows[0].timezone);
}
