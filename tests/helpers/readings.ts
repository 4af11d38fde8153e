// What the readings tables hold, read straight from the database: tests look at stored rows
// without a production repository method that only they would call.
import type { App } from '../../src/app.js';
import type { Partial } from '../../src/timeseries/aggregate.js';

/** [ts, value] of the metric's raw readings in [from, to), oldest first. */
export function rawReadings(app: App, metricPk: number, from: number, to: number): [number, number][] {
  return app.db.$client
    .prepare<[number, number, number], [number, number]>(
      'SELECT ts, value FROM readings WHERE metric_pk = ? AND ts >= ? AND ts < ? ORDER BY ts',
    )
    .raw(true)
    .all(metricPk, from, to);
}

/** The metric's hourly roll-ups whose hour starts in [from, to), oldest first. */
export function hourlyRollups(app: App, metricPk: number, from: number, to: number): Partial[] {
  return app.db.$client
    .prepare<[number, number, number], Partial>(
      `SELECT start, count, sum, min, max, first, last, first_ts AS firstTs, last_ts AS lastTs, delta_in AS deltaIn
         FROM rollups_1h WHERE metric_pk = ? AND start >= ? AND start < ? ORDER BY start`,
    )
    .all(metricPk, from, to);
}
