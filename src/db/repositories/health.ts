import { readMigrationFiles } from 'drizzle-orm/migrator';
import { MIGRATIONS_FOLDER, type Db } from '../client.js';

/** What readiness asks of the database: does it answer, and is every migration we ship applied? */
export function healthRepository(db: Db) {
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
  let applied: { get(): { n: number } | undefined } | undefined;
  return {
    async migrationsApplied(): Promise<boolean> {
      try {
        applied ??= db.$client.prepare<[], { n: number }>('SELECT count(*) AS n FROM __drizzle_migrations');
        return (applied.get()?.n ?? 0) >= expected;
      } catch {
        return false; // no answer (closed, locked past the busy timeout, no migrations table): not ready
      }
    },
    /** Bytes the database takes (its pages; the WAL aside), for the Prometheus gauge. */
    async databaseBytes(): Promise<number> {
      const c = db.$client;
      return Number(c.pragma('page_count', { simple: true })) * Number(c.pragma('page_size', { simple: true }));
    },
  };
}
