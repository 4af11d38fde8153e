// PostgreSQL through a `pg` pool (docs/decisions/016-postgresql.md). Migrations live in drizzle-pg/
// and are applied at start under an advisory lock, so nodes booting together apply them once.
import { join } from 'node:path';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { projectRoot } from '../../paths.js';
import { isRetryable } from './errors.js';
import * as schema from './schema.js';

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };
export type PgTx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

export const PG_MIGRATIONS_FOLDER = join(projectRoot(), 'drizzle-pg');

// int8 (counts, sums of integers, epoch milliseconds) and numeric come back as numbers, as they do
// from SQLite: every one we store fits a double exactly. Set on pg's shared parsers because
// drizzle's queries fall back to them (it overrides only the date and time types).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export interface PgConfig {
  url: string;
  poolSize: number;
  /** Longest a statement may run before PostgreSQL cancels it; 0: no limit. */
  statementTimeoutMs: number;
  /** A schema to work in (search_path), created if missing; the test harness gives each app its own. */
  schema?: string;
  /** Told of errors on idle connections (the server restarted, a network blip); the pool replaces them. */
  onError?: (err: Error) => void;
}

const CONNECT_TIMEOUT_MS = 10_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Drizzle writes tables as "public"."x"; unqualified, they land in the schema search_path names. */
const unqualified = (statement: string) => statement.replaceAll('"public".', '');

/**
 * Applies pending migrations (the table of applied ones is drizzle's layout, in the working schema)
 * under a session-level advisory lock on that schema, each migration in its own transaction.
 */
export async function migratePg(pool: pg.Pool): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder: PG_MIGRATIONS_FOLDER });
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('sitewatt.migrate.' || current_schema()))");
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)',
      );
      const { rows } = await client.query<{ created_at: number }>(
        'SELECT created_at FROM "__drizzle_migrations" ORDER BY created_at DESC LIMIT 1',
      );
      const last = rows[0]?.created_at ?? 0;
      let applied = 0;
      for (const m of migrations) {
        if (m.folderMillis <= last) continue;
        // One round trip per migration: its statements and its record as one simple query (no
        // parameters there: the hash is hex, the time a number), in one transaction.
        const record = `INSERT INTO "__drizzle_migrations" (hash, created_at) VALUES ('${m.hash}', ${Number(m.folderMillis)})`;
        const body = [...m.sql.map(unqualified), record].join(';\n');
        await client.query(`BEGIN;\n${body};\nCOMMIT;`).catch(async (err: unknown) => {
          await client.query('ROLLBACK');
          throw err;
        });
        applied++;
      }
      return applied;
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('sitewatt.migrate.' || current_schema()))");
    }
  } finally {
    client.release();
  }
}

/** The URL without its `options` parameter, and that parameter's value (null without one). */
function withoutOptions(raw: string): { url: string; options: string | null } {
  if (!/[?&]options=/.test(raw)) return { url: raw, options: null };
  const url = new URL(raw);
  const options = url.searchParams.get('options');
  url.searchParams.delete('options');
  return { url: url.href, options };
}

/** A pool over `config.url` with pending migrations applied; close it with `db.$client.end()`. */
export async function openPgDatabase(config: PgConfig): Promise<PgDb> {
  if (config.schema !== undefined && !SCHEMA_NAME.test(config.schema)) {
    throw new Error(`Invalid schema name ${JSON.stringify(config.schema)}`);
  }
  // pg lets an `options` parameter of the URL replace the pool's options whole, which would drop
  // the statement timeout and the schema: the URL's come first and ours are added to them.
  const { url, options: urlOptions } = withoutOptions(config.url);
  const options = urlOptions ? [urlOptions] : [];
  if (config.schema) options.push(`-c search_path=${config.schema}`);
  if (config.statementTimeoutMs > 0) options.push(`-c statement_timeout=${config.statementTimeoutMs}`);
  if (config.schema) {
    // Before the pool: its connections' search_path names it.
    const setup = new pg.Client({ connectionString: config.url });
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS "${config.schema}"`);
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: config.poolSize,
    // A query waits this long for a free connection, then fails (and /readyz answers 503) rather
    // than queueing forever behind a pool that a stuck database has filled.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    options: options.join(' ') || undefined,
  });
  // An idle connection that the server drops must not crash the process; the next query reconnects.
  pool.on('error', (err) => config.onError?.(err));
  try {
    await migratePg(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return drizzle(pool, { schema }) as PgDb;
}

const ATTEMPTS = 3;

/**
 * A write transaction, run again when PostgreSQL aborts it for a deadlock or a serialization
 * failure. Two writers can lock the same rows in opposite orders (a row, then the access or
 * catalogue version row its trigger moves), which SQLite's single writer never allowed; the
 * aborted one has changed nothing, so it retries rather than answering 500.
 */
export async function writeTransaction<T>(db: PgDb, fn: (tx: PgTx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      if (attempt >= ATTEMPTS || !isRetryable(err)) throw err;
    }
  }
}
