// Counts the SQL statements the app runs, to show that a page's cost does not grow with its data.
import pg from 'pg';
import type { App } from '../../src/app.js';

const METHODS = ['run', 'get', 'all', 'iterate'] as const;
type Method = (typeof METHODS)[number];

/**
 * How many statements `work` executes on the app's better-sqlite3 connection: every prepared
 * statement (ours, Drizzle's, the session store's, a transaction's BEGIN and COMMIT) runs through
 * these four methods of one shared prototype, wrapped for the duration and then restored.
 */
export async function countStatements(app: App, work: () => Promise<unknown>): Promise<number> {
  if (app.pg) return countPgQueries(work);
  const proto = Object.getPrototypeOf(app.db.$client.prepare('SELECT 1')) as Record<
    Method,
    (...a: unknown[]) => unknown
  >;
  const originals = Object.fromEntries(METHODS.map((m) => [m, proto[m]])) as Record<
    Method,
    (...a: unknown[]) => unknown
  >;
  let count = 0;
  for (const m of METHODS)
    proto[m] = function (this: unknown, ...args: unknown[]) {
      count++;
      return originals[m].apply(this, args);
    };
  try {
    await work();
  } finally {
    for (const m of METHODS) proto[m] = originals[m];
  }
  return count;
}

/**
 * On PostgreSQL: every query of the pool (drizzle's, ours, a transaction's BEGIN and COMMIT) goes
 * through pg's Client.prototype.query, wrapped for the duration and then restored.
 */
async function countPgQueries(work: () => Promise<unknown>): Promise<number> {
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  let count = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    proto.query = original;
  }
  return count;
}
