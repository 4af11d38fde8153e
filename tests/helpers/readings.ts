// What the readings tables hold, read straight from the database (SQLite, or PostgreSQL when the
// app runs on it): tests look at stored rows without a production repository method that only
// they would call.
import type { App } from '../../src/app.js';
import type { Partial } from '../../src/timeseries/aggregate.js';

type PgQuery = <R>(q: { text: string; values: unknown[]; rowMode?: 'array' }) => Promise<{ rows: R[] }>;

/** The app's PostgreSQL query function, or null on SQLite (app.pg is the pool as drizzle, when there is one). */
function pgOf(app: App): PgQuery | null {
  const pool = (app as unknown as { pg?: { $client: { query: PgQuery } } | null }).pg?.$client;
  return pool ? pool.query.bind(pool) : null;
}

const RAW = 'SELECT ts, value FROM readings WHERE metric_pk = $1 AND ts >= $2 AND ts < $3 ORDER BY ts';
const HOURLY = `SELECT start, count, sum, min, max, first, last, first_ts AS "firstTs", last_ts AS "lastTs", delta_in AS "deltaIn"
  FROM rollups_1h WHERE metric_pk = $1 AND start >= $2 AND start < $3 ORDER BY start`;

/** [ts, value] of the metric's raw readings in [from, to), oldest first. */
export async function rawReadings(app: App, metricPk: number, from: number, to: number): Promise<[number, number][]> {
  const pg = pgOf(app);
  if (pg) return (await pg<[number, number]>({ text: RAW, values: [metricPk, from, to], rowMode: 'array' })).rows;
  return app.db.$client
    .prepare<[number, number, number], [number, number]>(RAW.replace(/\$\d/g, '?'))
    .raw(true)
    .all(metricPk, from, to);
}

/** The metric's hourly roll-ups whose hour starts in [from, to), oldest first. */
export async function hourlyRollups(app: App, metricPk: number, from: number, to: number): Promise<Partial[]> {
  const pg = pgOf(app);
  if (pg) return (await pg<Partial>({ text: HOURLY, values: [metricPk, from, to] })).rows;
  return app.db.$client
    .prepare<[number, number, number], Partial>(HOURLY.replace(/\$\d/g, '?'))
    .all(metricPk, from, to);
}
