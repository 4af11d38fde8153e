// Alarm state lives in the database: a restart in the middle of a sequence continues where it was,
// and two processes on one database raise each alarm once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import {
  buildTestApp,
  createWorld,
  injectAs,
  sharedDatabase,
  type SharedDatabase,
  type TestUser,
} from '../../helpers/app.js';
import { sqlOf } from '../../helpers/sql.js';

const MIN = 60_000;
const T0 = Math.floor((Date.now() - 2 * 3600_000) / MIN) * MIN;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

let database: SharedDatabase;
const apps: App[] = [];
const open = async () => {
  const app = await buildTestApp(database.overrides);
  apps.push(app);
  return app;
};
beforeEach(async () => {
  database = await sharedDatabase();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  database.close();
});

async function send(app: App, user: TestUser, metricId: string, readings: [number, number][]) {
  const res = await injectAs(app, user, {
    method: 'POST',
    url: '/api/readings',
    payload: { readings: readings.map(([m, value]) => ({ metricId, timestamp: at(m), value })) },
  });
  expect(res.statusCode, res.body).toBe(200);
}

const alarmRows = (app: App) =>
  sqlOf(app).all(
    'SELECT raised_at AS "raisedAt", last_seen AS "lastSeen", peak_value AS peak, cleared_at AS "clearedAt" FROM alarms ORDER BY raised_at',
  );

describe('Alarm state across restarts and processes', () => {
  it('When the app restarts while a condition is pending, then the fresh app raises when the duration is reached, not later', async () => {
    const first = await open();
    const w = await createWorld(first);
    const soc = w.metrics.find((m) => m.key === 'soc')!;
    await injectAs(first, w.technician, {
      method: 'POST',
      url: `/api/metrics/${soc.id}/alarm-rules`,
      payload: { condition: 'below', threshold: 10, clearThreshold: 15, forSeconds: 300, severity: 'major' },
    });
    await send(first, w.technician, soc.id, [
      [0, 9],
      [3, 8],
    ]);
    await first.close();
    apps.splice(0);

    const second = await open();
    await send(second, w.technician, soc.id, [
      [2, 1], // late: stored, ignored by the rule
      [5, 7],
      [6, 12], // inside the hysteresis band: stays open
    ]);
    expect(await alarmRows(second)).toEqual([
      { raisedAt: T0 + 5 * MIN, lastSeen: T0 + 5 * MIN, peak: 7, clearedAt: null },
    ]);
    await second.close();
    apps.splice(0);

    const third = await open();
    await send(third, w.technician, soc.id, [[7, 20]]);
    expect(await alarmRows(third)).toEqual([
      { raisedAt: T0 + 5 * MIN, lastSeen: T0 + 5 * MIN, peak: 7, clearedAt: T0 + 7 * MIN },
    ]);
  });

  it('When two processes on one database both take the same readings and sweep, then each alarm is raised once', async () => {
    const a = await open();
    const b = await open();
    const w = await createWorld(a);
    const [soc, power] = ['soc', 'power'].map((k) => w.metrics.find((m) => m.key === k)!);
    for (const [metric, body] of [
      [soc, { condition: 'below', threshold: 10, severity: 'major' }],
      [power, { condition: 'no_data', noDataMinutes: 5, severity: 'minor' }],
    ] as const) {
      const res = await injectAs(a, w.technician, {
        method: 'POST',
        url: `/api/metrics/${metric.id}/alarm-rules`,
        payload: body,
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    await Promise.all([send(a, w.technician, soc.id, [[0, 5]]), send(b, w.technician, soc.id, [[0, 5]])]);
    await send(b, w.technician, soc.id, [[1, 4]]);
    await send(a, w.technician, soc.id, [[1, 4]]);
    const later = Date.now() + 10 * MIN;
    const raised = await Promise.all([a.services.alarms.sweepNoData(later), b.services.alarms.sweepNoData(later)]);
    expect(raised.sort()).toEqual([0, 1]);
    const n = await sqlOf(a).all<{ metric: number; n: number }>(
      'SELECT metric_pk AS metric, count(*) AS n FROM alarms GROUP BY metric_pk',
    );
    expect(n.map((r) => r.n)).toEqual([1, 1]);
  });
});
