// Two real server processes on one database (a SQLite file, or a PostgreSQL schema): both ingest
// the same readings and both run the no_data sweep, and each alarm is raised exactly once
// (docs/alarms.md, "Several processes").
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createWorld, sharedDatabase, type SharedDatabase, type TestUser } from '../helpers/app.js';
import { sqlOf } from '../helpers/sql.js';

const TSX = createRequire(import.meta.url).resolve('tsx/cli');
let database: SharedDatabase;
const servers: { child: ChildProcess; url: string }[] = [];
let technician: TestUser;
let socId: string;
let powerPk: number;

/** Starts `node tsx src/server.ts` on a free port; resolves with its URL once it listens. */
function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [TSX, 'src/server.ts'], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      PORT: '0',
      HOST: '127.0.0.1',
      ...databaseEnv(),
      SESSION_SECRET: randomBytes(32).toString('hex'),
      DEMO: 'false',
      SIMULATOR: 'off',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      ALARM_SWEEP_SECONDS: '1',
      MAX_EVENT_LOOP_DELAY_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in time:\n${output}`)), 60_000);
    const read = (d: Buffer) => {
      output += d;
      const m = /listening at (http:\/\/127\.0\.0\.1:\d+)/i.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
}

/** The shared database as a server reads it from its environment. */
function databaseEnv(): Record<string, string> {
  const o = database.overrides;
  if (!('postgres' in o) || !o.postgres) return { DATABASE_PATH: (o as { databasePath: string }).databasePath };
  const url = new URL(o.postgres.url);
  url.searchParams.set('options', `-c search_path=${o.postgres.schema}`);
  return { DATABASE_URL: url.href };
}

beforeAll(async () => {
  database = await sharedDatabase();
  // The world and the rules, written before either server starts.
  const app = await buildTestApp(database.overrides);
  const w = await createWorld(app);
  technician = w.technician;
  const tech = (await app.services.auth.loadActor(w.technician.id))!;
  const soc = w.metrics.find((m) => m.key === 'soc')!;
  const power = w.metrics.find((m) => m.key === 'power')!;
  socId = soc.id;
  powerPk = power.pk;
  await app.services.alarms.createForMetric(tech, soc.id, { condition: 'below', threshold: 10, severity: 'major' });
  await app.services.alarms.createForMetric(tech, power.id, {
    condition: 'no_data',
    noDataMinutes: 1,
    severity: 'minor',
  });
  // Silent for long enough already: created (and its rule changed) two minutes ago.
  await sqlOf(app).run('UPDATE metrics SET created_at = ? WHERE pk = ?', Date.now() - 120_000, power.pk);
  await sqlOf(app).run('UPDATE alarm_rules SET updated_at = ?', Date.now() - 120_000);
  await app.close();
  servers.push(...(await Promise.all([serve(), serve()])));
}, 120_000);

/** Stops both servers (SIGTERM, then SIGKILL after 10 s). */
const stopServers = () =>
  Promise.all(
    servers.splice(0).map(
      ({ child }) =>
        new Promise<void>((r) => {
          if (child.exitCode !== null) return r();
          child.once('exit', () => r());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );

afterAll(async () => {
  await stopServers();
  database?.close();
}, 30_000);

const ingest = (url: string, readings: { metricId: string; timestamp: string; value: number }[]) =>
  fetch(`${url}/api/readings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${technician.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ readings }),
  });

describe('Two server processes on one database', { timeout: 60_000 }, () => {
  it('When both ingest the same readings at once and both sweep, then each alarm is raised exactly once', async () => {
    const t0 = Date.now() - 60_000;
    // Rounds of the same readings to both at once: low, low, back up, low again.
    for (const [i, value] of [5, 4, 50, 3].entries()) {
      const readings = [{ metricId: socId, timestamp: new Date(t0 + i * 10_000).toISOString(), value }];
      const answers = await Promise.all(servers.map((s) => ingest(s.url, readings)));
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
    }
    // Both sweep every second: a few seconds cover several sweeps of each.
    await new Promise((r) => setTimeout(r, 3_500));

    // Read with the servers stopped, through an app of the test's own (it runs no sweep of its own).
    await stopServers();
    const app = await buildTestApp(database.overrides);
    try {
      const sql = sqlOf(app);
      const bySoc = await sql.all<{ raisedAt: number; cleared: boolean }>(
        `SELECT a.raised_at AS "raisedAt", a.cleared_at IS NOT NULL AS cleared FROM alarms a
           JOIN metrics m ON m.pk = a.metric_pk WHERE m.id = ? ORDER BY a.raised_at`,
        socId,
      );
      // Raised at the first low reading, cleared at 50, raised again at 3: two alarms, not four.
      expect(bySoc.map((a) => ({ ...a, cleared: Boolean(a.cleared) }))).toEqual([
        { raisedAt: t0, cleared: true },
        { raisedAt: t0 + 30_000, cleared: false },
      ]);
      expect(await sql.value('SELECT count(*) AS n FROM alarms WHERE metric_pk = ?', powerPk)).toBe(1);
      expect(await sql.value("SELECT count(*) AS n FROM alarm_events WHERE kind = 'raised'")).toBe(3);
    } finally {
      await app.close();
    }
  });
});
