// Statements a test runs on its app's database, SQLite or PostgreSQL alike: to look at what is
// stored (a hash, not the secret) or to put the database in a state no request can reach (an
// expired session, a latest value). Written with `?` placeholders and SQL both dialects read;
// on PostgreSQL they become $1, $2, … Production code never does this: its SQL is in src/db/.
import type pg from 'pg';
import type { App } from '../../src/app.js';

export interface TestSql {
  /** Every row. */
  all<R = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<R[]>;
  /** The first row, or undefined. */
  get<R = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<R | undefined>;
  /** The first column of the first row. */
  value<T = unknown>(text: string, ...params: unknown[]): Promise<T>;
  /** One statement for its effect; returns the rows it changed. */
  run(text: string, ...params: unknown[]): Promise<number>;
  /** Several statements separated by `;`, no parameters. */
  exec(text: string): Promise<void>;
}

/** `?` → `$n` (no test statement has a `?` inside a string literal). */
const numbered = (text: string) => {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
};

function pgSql(pool: pg.Pool): TestSql {
  const query = async (text: string, params: unknown[]) => pool.query(numbered(text), params);
  return {
    all: async <R>(text: string, ...params: unknown[]) => (await query(text, params)).rows as R[],
    get: async <R>(text: string, ...params: unknown[]) => (await query(text, params)).rows[0] as R | undefined,
    value: async <T>(text: string, ...params: unknown[]) => {
      const { rows } = await pool.query({ text: numbered(text), values: params, rowMode: 'array' });
      return (rows[0] as unknown[] | undefined)?.[0] as T;
    },
    run: async (text: string, ...params: unknown[]) => (await query(text, params)).rowCount ?? 0,
    exec: async (text: string) => void (await pool.query(text)),
  };
}

function sqliteSql(app: App): TestSql {
  const db = () => app.db.$client;
  return {
    all: async <R>(text: string, ...params: unknown[]) =>
      db()
        .prepare(text)
        .all(...params) as R[],
    get: async <R>(text: string, ...params: unknown[]) =>
      db()
        .prepare(text)
        .get(...params) as R | undefined,
    value: async <T>(text: string, ...params: unknown[]) =>
      db()
        .prepare(text)
        .pluck()
        .get(...params) as T,
    run: async (text: string, ...params: unknown[]) =>
      db()
        .prepare(text)
        .run(...params).changes,
    exec: async (text: string) => void db().exec(text),
  };
}

/** The app's database for a test's own statements. */
export function sqlOf(app: App): TestSql {
  return app.pg ? pgSql(app.pg.$client) : sqliteSql(app);
}

/** Sets a metric's latest value as ingestion would leave it, without readings (a dashboard's input). */
export async function setLatest(app: App, metricId: string, value: number, ts = Date.now()): Promise<void> {
  await sqlOf(app).run('UPDATE metrics SET latest_ts = ?, latest_value = ? WHERE id = ?', ts, value, metricId);
}

/** A metric's integer key, which readings and roll-ups are stored under. */
export const metricPk = (app: App, metricId: string) =>
  sqlOf(app).value<number>('SELECT pk FROM metrics WHERE id = ?', metricId);

/**
 * Runs statements with foreign keys unenforced, to leave the dangling rows that no request can
 * make (a membership whose site is gone). On PostgreSQL that is the replica role, which also
 * silences our triggers, so the access version they would bump is bumped here.
 */
export async function withoutForeignKeys(app: App, statements: string): Promise<void> {
  const sql = sqlOf(app);
  if (!app.pg) {
    await sql.exec(`PRAGMA foreign_keys = OFF; ${statements}; PRAGMA foreign_keys = ON`);
    return;
  }
  await sql.exec(
    `SET session_replication_role = replica; ${statements}; SET session_replication_role = origin;
     UPDATE access_version SET version = version + 1 WHERE id = 1`,
  );
}

/**
 * Makes the database refuse inserts into `table` whose `column` equals `value`: a failure in the
 * middle of a transaction, to show that the whole change is rolled back. The column is compared as
 * text, so an integer column is matched too (a trigger's NEW values carry no column affinity in SQLite).
 */
export async function refuseInserts(app: App, table: string, column: string, value: string): Promise<void> {
  const sql = sqlOf(app);
  const name = `refuse_${table}`;
  if (!app.pg) {
    await sql.exec(
      `CREATE TRIGGER ${name} BEFORE INSERT ON ${table} WHEN CAST(NEW.${column} AS TEXT) = '${value}' BEGIN SELECT RAISE(ABORT, '${name}'); END`,
    );
    return;
  }
  await sql.exec(
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${name}'; END $$;
     CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW WHEN (NEW.${column}::text = '${value}') EXECUTE FUNCTION ${name}()`,
  );
}

/** Takes back refuseInserts on `table`: inserts are stored again. */
export async function allowInserts(app: App, table: string): Promise<void> {
  const name = `refuse_${table}`;
  await sqlOf(app).exec(app.pg ? `DROP TRIGGER ${name} ON ${table}; DROP FUNCTION ${name}()` : `DROP TRIGGER ${name}`);
}

// The same as free functions, for tests that read one statement at a time.

/** The rows `query` returns. */
export const sqlRows = <T = Record<string, unknown>>(app: App, query: string, params: unknown[] = []) =>
  sqlOf(app).all<T>(query, ...params);

/** The first row `query` returns, if any. */
export const sqlRow = <T = Record<string, unknown>>(app: App, query: string, params: unknown[] = []) =>
  sqlOf(app).get<T>(query, ...params);

/** Runs a statement; how many rows it changed. */
export const sqlRun = (app: App, query: string, params: unknown[] = []) => sqlOf(app).run(query, ...params);
