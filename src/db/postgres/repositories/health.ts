import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Repositories } from '../../repositories/index.js';
import { PG_MIGRATIONS_FOLDER, type PgDb } from '../client.js';

/** Readiness: the pool hands out a connection that answers, and every migration we ship is applied. */
export function pgHealthRepository(db: PgDb): Repositories['health'] {
  const expected = readMigrationFiles({ migrationsFolder: PG_MIGRATIONS_FOLDER }).length;
  return {
    async migrationsApplied() {
      try {
        const { rows } = await db.$client.query<{ n: number }>('SELECT count(*) AS n FROM "__drizzle_migrations"');
        return (rows[0]?.n ?? 0) >= expected;
      } catch {
        return false; // no connection within the pool's timeout, or no migrations table: not ready
      }
    },
    /** The whole database's size, as PostgreSQL counts it (tables, indexes, TOAST). */
    async databaseBytes() {
      const { rows } = await db.$client.query<{ n: number }>('SELECT pg_database_size(current_database()) AS n');
      return rows[0].n;
    },
  };
}
