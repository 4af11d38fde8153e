// Opening the pool: the settings Sitewatt gives each connection hold whatever the URL says.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openPgDatabase, type PgDb } from '../../../src/db/postgres/client.js';
import { PG_URL } from './harness.js';

const opened: PgDb[] = [];
const schemas: string[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.$client.end();
  if (schemas.length === 0) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA ${schemas.splice(0).join(', ')} CASCADE`);
  await c.end();
});

const settings = async (db: PgDb) =>
  (
    await db.$client.query<{ timeout: string; path: string; name: string }>(
      `SELECT current_setting('statement_timeout') AS timeout, current_setting('search_path') AS path,
              current_setting('application_name') AS name`,
    )
  ).rows[0];

describe.skipIf(!PG_URL)('openPgDatabase', () => {
  it('When DATABASE_URL sets connection options of its own, then they apply and the statement timeout still does', async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
    const url = new URL(PG_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    url.searchParams.set('application_name', 'sitewatt-node');
    const db = await openPgDatabase({ url: url.href, poolSize: 2, statementTimeoutMs: 1_234 });
    opened.push(db);
    expect(await settings(db)).toEqual({ timeout: '1234ms', path: schema, name: 'sitewatt-node' });
    // The migrations went where the URL's search_path points.
    const tables = await db.$client.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [
      schema,
      'readings',
    ]);
    expect(tables.rowCount).toBe(1);
  });

  it('When the URL has no options, then the statement timeout applies as configured', async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const db = await openPgDatabase({ url: PG_URL!, poolSize: 2, statementTimeoutMs: 2_000, schema });
    opened.push(db);
    expect(await settings(db)).toMatchObject({ timeout: '2s', path: schema });
  });
});
