// PostgreSQL repositories on a fresh schema each (TEST_DATABASE_URL), for the tests of the data path
// that need no app: concurrency of two pools, roll-ups against raw readings. Skipped without it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPgDatabase, type PgDb } from '../../../src/db/postgres/client.js';
import { pgAlarms } from '../../../src/db/postgres/repositories/alarms.js';
import { pgDevicesRepository } from '../../../src/db/postgres/repositories/devices.js';
import { pgMetricsRepository } from '../../../src/db/postgres/repositories/metrics.js';
import { pgReadingsRepository, type PgOnIngest } from '../../../src/db/postgres/repositories/readings.js';
import { defaultMetricsFor } from '../../../src/domain/device-types.js';

export const PG_URL = process.env.TEST_DATABASE_URL;

/** A schema of its own with migrations applied, and `pools` pools on it (several nodes). */
export async function freshSchema(
  pools = 1,
  poolSize = 4,
): Promise<{ dbs: PgDb[]; schema: string; drop: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const dbs: PgDb[] = [];
  for (let i = 0; i < pools; i++)
    dbs.push(await openPgDatabase({ url: PG_URL!, poolSize, statementTimeoutMs: 0, schema }));
  return {
    dbs,
    schema,
    async drop() {
      for (const db of dbs) await db.$client.end();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA "${schema}" CASCADE`);
      await c.end();
    },
  };
}

/** The data-path repositories over one pool. */
export function dataRepos(db: PgDb) {
  const alarms = pgAlarms(db);
  const onIngest: PgOnIngest = (c, pk, fresh, at) => alarms.evaluateMetric(c, pk, fresh, at);
  return {
    metrics: pgMetricsRepository(db),
    devices: pgDevicesRepository(db),
    readings: pgReadingsRepository(db, onIngest),
    alarms: alarms.repository,
  };
}

/** A site (written directly: the sites repository is not part of this path) with one device of `type`. */
export async function siteWithDevice(db: PgDb, timezone = 'UTC', type: 'battery' | 'meter' = 'battery') {
  const siteId = `site_${randomBytes(6).toString('hex')}`;
  const now = Date.now();
  await db.$client.query(
    `INSERT INTO sites (id, name, description, timezone, created_at, updated_at) VALUES ($1, $1, '', $2, $3, $3)`,
    [siteId, timezone, now],
  );
  const { device, metrics } = await dataRepos(db).devices.create(
    siteId,
    { name: 'Device', type, manufacturer: null, model: null, serialNumber: null },
    defaultMetricsFor(type),
    null,
  );
  return { siteId, device, metrics };
}
