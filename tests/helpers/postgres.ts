// PostgreSQL for tests: with TEST_DATABASE_URL set, every test app gets a schema of its own
// (search_path), so test files run in parallel on one database. Migrating a schema costs about half
// a second of DDL, so a test file migrates a schema once and a closed app's schema is emptied
// (TRUNCATE) for the file's next app; the file's schemas are dropped after its last test.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migratePg, PG_MIGRATIONS_FOLDER } from '../../src/db/postgres/client.js';

/** Where the tests' PostgreSQL is; null runs everything on SQLite. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || null;

/** Rows the migrations insert, put back after emptying a schema so it is as a fresh one. */
const SEEDED = [
  'INSERT INTO access_version (id, version) VALUES (1, 0)',
  'INSERT INTO catalog_version (id, version) VALUES (1, 0)',
];

const MIGRATIONS = readMigrationFiles({ migrationsFolder: PG_MIGRATIONS_FOLDER }).length;
const free: string[] = [];
const made: string[] = [];
let admin: pg.Pool | undefined;

const adminPool = () => (admin ??= new pg.Pool({ connectionString: TEST_DATABASE_URL!, max: 2 }));

async function migrated(): Promise<string> {
  const name = `sw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminPool().query(`CREATE SCHEMA ${name}`);
  made.push(name);
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL!, max: 1, options: `-c search_path=${name}` });
  try {
    await migratePg(pool);
  } finally {
    await pool.end();
  }
  return name;
}

/** The schema emptied, or a new one when a test has damaged it (its record of migrations, say). */
async function emptied(name: string): Promise<string> {
  const { rows } = await adminPool().query<{ t: string }>(
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 AND tablename <> '__drizzle_migrations'",
    [name],
  );
  const recorded = await adminPool()
    .query<{ n: number }>(`SELECT count(*) AS n FROM ${name}."__drizzle_migrations"`)
    .then((r) => r.rows[0].n)
    .catch(() => -1);
  if (recorded !== MIGRATIONS) return migrated();
  const tables = rows.map((r) => `${name}."${r.t}"`).join(', ');
  const seeded = SEEDED.map((s) => s.replace('INSERT INTO ', `INSERT INTO ${name}.`)).join(';\n');
  await adminPool().query(`BEGIN;\nTRUNCATE ${tables} RESTART IDENTITY CASCADE;\n${seeded};\nCOMMIT;`);
  return name;
}

/** Runs statements in one of this file's schemas, in one transaction. */
export async function execInSchema(name: string, statements: string): Promise<void> {
  await adminPool().query(`BEGIN;\nSET LOCAL search_path TO ${name};\n${statements};\nCOMMIT;`);
}

/** A schema with every migration applied and no rows but the seeded ones. */
export async function takeSchema(): Promise<string> {
  const reused = free.pop();
  return reused ? emptied(reused) : migrated();
}

/** Gives back the schema of a closed app, for the next app of this file. */
export function releaseSchema(name: string): void {
  free.push(name);
}

afterAll(async () => {
  if (!admin) return;
  // One schema a statement: dropping a schema locks each of its hundred-odd tables, indexes and
  // partitions, and a file with a few dozen schemas (the route matrix) would need more locks in one
  // transaction than the server has room for (max_locks_per_transaction).
  for (const name of made.splice(0)) await admin.query(`DROP SCHEMA ${name} CASCADE`);
  await admin.end();
  admin = undefined;
});
