// Reading and poking the stored rows behind the API, on whichever database the test app runs
// (SQLite, or PostgreSQL with TEST_DATABASE_URL). Plain SQL both dialects understand, with `?`
// placeholders; integers come back as numbers on both, booleans as 0/1 on SQLite.
import type { App } from '../../src/app.js';

const numbered = (query: string) => {
  let n = 0;
  return query.replace(/\?/g, () => `$${++n}`);
};

/** The rows `query` returns. */
export async function sqlRows<T = Record<string, unknown>>(app: App, query: string, params: unknown[] = []) {
  if (app.pg) return (await app.pg.$client.query(numbered(query), params)).rows as T[];
  return app.db.$client.prepare(query).all(...params) as T[];
}

/** The first row `query` returns, if any. */
export async function sqlRow<T = Record<string, unknown>>(app: App, query: string, params: unknown[] = []) {
  return (await sqlRows<T>(app, query, params))[0] as T | undefined;
}

/** Runs a statement; how many rows it changed. */
export async function sqlRun(app: App, query: string, params: unknown[] = []): Promise<number> {
  if (app.pg) return (await app.pg.$client.query(numbered(query), params)).rowCount ?? 0;
  return app.db.$client.prepare(query).run(...params).changes;
}
