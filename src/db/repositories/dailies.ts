// Daily roll-ups (rollups_1d): the local days of each site's zone, folded from the hourly roll-ups.
// A year of daily buckets from hourly roll-ups walks 8,760 rows per metric, most of a year chart's
// time (docs/performance.md, P5); from these it walks 365.
//
// The invariant: when sites.daily_tz is set, every day of that site's metrics in that zone whose
// two midnights fall on UTC hours (every day, in zones with whole-hour offsets) either has its
// fold of that day's hourly roll-ups in rollups_1d, or is listed in rollups_1d_pending. Ingestion
// lists the days it changed (mark, in the same transaction as the hours): listing is a B-tree
// insert, folding is three range reads and an upsert, and a day that many batches write is folded
// once. Pending days are folded before a metric's daily roll-ups are read (foldPendingOf) and
// every five seconds (src/plugins/app/database.ts). A change of zone and a database from before this table
// rebuild a site (rebuildSite). Time series read them only where this holds (services/timeseries.ts).
import type BetterSqlite3 from 'better-sqlite3';
import { bucketStarts, localDay } from '../../timeseries/buckets.js';
import { HOUR_MS } from '../../time.js';

// Days per rebuild statement, so the JSON of edges stays small.
const CHUNK = 500;

// The local day of an hour, per zone: a batch's metrics mostly share their hours and zone, and
// working a day out costs a dozen offset lookups.
const dayOfHour = new Map<string, Map<number, [number, number] | null>>();
function dayOf(hour: number, tz: string): [number, number] | null {
  let days = dayOfHour.get(tz);
  if (!days) dayOfHour.set(tz, (days = new Map()));
  let day = days.get(hour);
  if (day === undefined) {
    if (days.size >= 10_000) days.clear();
    days.set(hour, (day = localDay(hour, tz)));
  }
  return day;
}

export function dailyRollups(c: BetterSqlite3.Database) {
  // A day's fold, written as an upsert: `start` is the day's start, `hours` the range condition on
  // rollups_1h for that day, `from` the rows it aggregates and `tail` what follows them.
  const foldInto = (start: string, hours: string, from: string, tail: string) =>
    c.prepare(
      `INSERT INTO rollups_1d (metric_pk, start, count, sum, min, max, first, last, delta)
       SELECT @pk, ${start}, sum(count), sum(sum), min(min), max(max),
         (SELECT first FROM rollups_1h WHERE ${hours} ORDER BY start LIMIT 1), (SELECT last FROM rollups_1h WHERE ${hours} ORDER BY start DESC LIMIT 1),
         sum(delta_in + delta_prev)
       ${from} ${tail}
       ON CONFLICT (metric_pk, start) DO UPDATE SET count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
         first = excluded.first, last = excluded.last, delta = excluded.delta`,
    );
  // Any set of days of one metric in one statement: @days is a JSON array of [start, end]. CROSS
  // JOIN keeps the days outside: else SQLite walks all the metric's hours for each day.
  const inDay = 'metric_pk = @pk AND start >= e.value ->> 0 AND start < e.value ->> 1';
  // (json_each has no column of rollups_1h's names, so they need no table prefix.)
  const fold = foldInto(
    'e.value ->> 0',
    inDay,
    `FROM json_each(@days) e CROSS JOIN rollups_1h ON ${inDay}`,
    'GROUP BY e.key',
  );
  // The common case, a day or two per metric and batch: one day per statement, no temporary B-tree.
  const inOne = 'metric_pk = @pk AND start >= @s AND start < @e';
  const foldOne = foldInto('@s', inOne, `FROM rollups_1h WHERE ${inOne}`, 'HAVING count(*) > 0');
  const zoneOfMetric = c
    .prepare<[number], string | null>(
      'SELECT s.daily_tz FROM metrics m JOIN sites s ON s.id = m.site_id WHERE m.pk = ?',
    )
    .pluck(true);
  const siteMetrics = c
    .prepare<[string], [number, number | null, number | null]>(
      'SELECT m.pk, (SELECT min(start) FROM rollups_1h WHERE metric_pk = m.pk), (SELECT max(start) FROM rollups_1h WHERE metric_pk = m.pk) FROM metrics m WHERE m.site_id = ?',
    )
    .raw(true);
  const clear = c.prepare('DELETE FROM rollups_1d WHERE metric_pk IN (SELECT pk FROM metrics WHERE site_id = ?)');
  const setZone = c.prepare('UPDATE sites SET daily_tz = ? WHERE id = ?');
  const pending = c
    .prepare<[], string>('SELECT id FROM sites WHERE daily_tz IS NULL OR daily_tz <> timezone ORDER BY id')
    .pluck(true);
  const stale = c
    .prepare<[string], string>('SELECT timezone FROM sites WHERE id = ? AND (daily_tz IS NULL OR daily_tz <> timezone)')
    .pluck(true);

  const addPending = c.prepare('INSERT OR IGNORE INTO rollups_1d_pending (metric_pk, start, "end") VALUES (?, ?, ?)');
  const pendingOf = c
    .prepare<[number], [number, number]>('SELECT start, "end" FROM rollups_1d_pending WHERE metric_pk = ?')
    .raw(true);
  const somePending = c
    .prepare<[number], [number, number, number]>('SELECT metric_pk, start, "end" FROM rollups_1d_pending LIMIT ?')
    .raw(true);
  const dropPendingOf = c.prepare('DELETE FROM rollups_1d_pending WHERE metric_pk = ?');
  const dropPending = c.prepare('DELETE FROM rollups_1d_pending WHERE metric_pk = ? AND start = ?');
  const clearPending = c.prepare(
    'DELETE FROM rollups_1d_pending WHERE metric_pk IN (SELECT pk FROM metrics WHERE site_id = ?)',
  );

  const foldDays = (pk: number, days: [number, number][]) => {
    for (let i = 0; i < days.length; i += CHUNK) fold.run({ pk, days: JSON.stringify(days.slice(i, i + CHUNK)) });
  };

  return {
    /** The zone of `metricPk`'s daily roll-ups, or null while they are not complete. */
    zoneOf: (metricPk: number): string | null => zoneOfMetric.get(metricPk) ?? null,

    /**
     * Lists the local days (in `tz`) holding `hours` (hour starts whose roll-ups just changed) as
     * pending. Call inside the transaction that changed them.
     */
    mark(metricPk: number, tz: string, hours: Iterable<number>) {
      let last: [number, number] | null = null;
      for (const h of hours) {
        // Hours come mostly in order: most fall in the day before them.
        if (last && h >= last[0] && h < last[1]) continue;
        last = dayOf(h, tz);
        if (last) addPending.run(metricPk, last[0], last[1]);
      }
    },

    /** Folds the pending days of one metric. Call in a transaction. */
    foldPendingOf(metricPk: number) {
      const days = pendingOf.all(metricPk);
      if (days.length === 0) return;
      if (days.length > 4) foldDays(metricPk, days);
      else for (const [s, e] of days) foldOne.run({ pk: metricPk, s, e });
      dropPendingOf.run(metricPk);
    },

    /** Folds up to `limit` pending days of any metric; returns how many. Call in a transaction. */
    foldSomePending(limit: number): number {
      const days = somePending.all(limit);
      for (const [pk, s, e] of days) {
        foldOne.run({ pk, s, e });
        dropPending.run(pk, s);
      }
      return days.length;
    },

    /** Rebuilds every daily roll-up of a site's metrics in `tz` and records the zone. Synchronous: call in a transaction. */
    rebuildSite(siteId: string, tz: string) {
      clear.run(siteId);
      clearPending.run(siteId);
      for (const [pk, first, last] of siteMetrics.all(siteId)) {
        if (first === null || last === null) continue;
        const days = bucketStarts(first, last + HOUR_MS, '1d', tz)
          .map((s) => localDay(s, tz))
          .filter((d) => d !== null);
        foldDays(pk, days);
      }
      setZone.run(tz, siteId);
    },

    /** Sites whose daily roll-ups are missing or in another zone than the site's. */
    pendingSites: (): string[] => pending.all(),

    /** Rebuilds a site's daily roll-ups if they are still missing or in another zone. Call in a transaction. */
    rebuildIfPending(siteId: string) {
      const tz = stale.get(siteId);
      if (tz !== undefined) this.rebuildSite(siteId, tz);
    },
  };
}

export type DailyRollups = ReturnType<typeof dailyRollups>;
