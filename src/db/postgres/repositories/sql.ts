// What the PostgreSQL repositories share: a transaction on one pooled connection, the catalogue
// cache (the twin of ../../repositories/catalogue-cache.ts) and the audit row written inside a change.
import type { Pool, PoolClient } from 'pg';
import type { AuditEntry } from '../../repositories/audit.js';

/** What a repository needs of the database: its pool (drizzle's node-postgres database has it as $client). */
export interface PgHandle {
  $client: Pool;
}

/** A pool or one connection in a transaction: both run a query. */
export type Queryable = Pool | PoolClient;

/** Runs `fn` in one transaction on one connection; a throw rolls it back. */
export async function transaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    c.release();
    return out;
  } catch (err) {
    // A connection whose rollback fails is in an unknown state: it leaves the pool.
    await c.query('ROLLBACK').then(
      () => c.release(),
      (e: Error) => c.release(e),
    );
    throw err;
  }
}

/** True for a unique violation (SQLSTATE 23505), on `constraint` when named. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/** Called inside the transaction of the change it records, so both commit or neither does. */
export async function writeAudit(q: Queryable, entry: AuditEntry, at = Date.now()): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (at, actor_id, site_id, entity_type, entity_id, action, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      at,
      entry.actorId,
      entry.siteId,
      entry.entityType,
      entry.entityId,
      entry.action,
      entry.before === undefined ? null : JSON.stringify(entry.before),
      entry.after === undefined ? null : JSON.stringify(entry.after),
    ],
  );
}

/**
 * Rows cached per key while catalog_version is unchanged (its triggers move it on any change to
 * devices, metrics and alarm rules other than a new latest value, whoever writes). The version is
 * read before the rows, so a change in between is filed under the old version and dropped by the
 * next request, never kept. Not for use inside a transaction that may change the catalogue: its
 * rollback could bring the version back to one the cache has filed rows under.
 */
export function catalogueCache<T>(q: Queryable, maxRows: number) {
  const entries = new Map<string, T[]>();
  let at = -1;
  let rows = 0;
  return {
    /** Brings the cache to the current version; false without the version row (nothing is cached then). */
    async sync(on: Queryable = q): Promise<boolean> {
      const r = await on.query<{ version: number }>('SELECT version FROM catalog_version WHERE id = 1');
      return this.syncTo(r.rows[0]?.version);
    },
    /** As sync, with a version the caller read itself (in the statement that read its rows). */
    syncTo(current: number | undefined): boolean {
      if (current === undefined) return false;
      if (current !== at || rows > maxRows) {
        entries.clear();
        at = current;
        rows = 0;
      }
      return true;
    },
    get: (key: string): T[] | undefined => entries.get(key),
    set(key: string, value: T[]) {
      rows += value.length - (entries.get(key)?.length ?? 0);
      entries.set(key, value);
    },
  };
}

/**
 * `@name` parameters (as the SQLite repositories write them) turned into PostgreSQL's `$n`; a
 * missing value binds null. A parameter whose type PostgreSQL cannot infer needs a cast in the SQL.
 */
export function named(text: string, params: Record<string, unknown>): { text: string; values: unknown[] } {
  const names: string[] = [];
  const out = text.replace(/@([A-Za-z]\w*)/g, (_, name: string) => {
    let i = names.indexOf(name);
    if (i < 0) i = names.push(name) - 1;
    return `$${i + 1}`;
  });
  return { text: out, values: names.map((n) => params[n] ?? null) };
}
