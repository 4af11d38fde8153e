// `npm run seed` writes the synthetic fleet into DATABASE_URL's PostgreSQL database when it is set.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../../helpers/postgres.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const schema = `sw_seed_${process.pid}_${randomBytes(4).toString('hex')}`;
const admin = TEST_DATABASE_URL ? new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 }) : null;
afterAll(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

function seed(url: string, ...args: string[]) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/scripts/seed.ts', ...args],
      {
        cwd: REPO,
        timeout: 60_000,
        env: { ...process.env, DATABASE_URL: url, SESSION_SECRET: randomBytes(32).toString('hex') },
      },
      (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
    );
  });
}

describe.skipIf(!TEST_DATABASE_URL)('npm run seed on PostgreSQL', () => {
  it('When DATABASE_URL names a PostgreSQL database, then the fleet, its readings and the bench users are written there', async () => {
    await admin!.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(TEST_DATABASE_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const run = await seed(url.href, '--sites', '2', '--days', '0.5', '--devices-per-site', '3');
    expect(run.stderr).toContain('into the PostgreSQL database of DATABASE_URL');
    expect(run.code).toBe(0);
    const count = async (table: string) =>
      Number((await admin!.query(`SELECT count(*) AS n FROM ${schema}.${table}`)).rows[0].n);
    expect(await count('sites')).toBe(2);
    expect(await count('devices')).toBe(6);
    expect(await count('readings')).toBeGreaterThan(0);
    expect(await count('rollups_1h')).toBeGreaterThan(0);
    expect(await count('users')).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
