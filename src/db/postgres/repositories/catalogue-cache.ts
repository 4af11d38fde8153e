// Rows cached per site while the catalogue version is unchanged, as src/db/repositories/
// catalogue-cache.ts does on SQLite; the triggers of drizzle-pg/0001_version_triggers.sql move the
// version on any change to devices, metrics or alarm rules other than a new latest value, whichever
// node writes. Reading the version is one indexed row per call.
//
// Callers do not use it inside their caller's transaction: a change made there moves the version,
// and its rollback can bring the version back to a number the cache has already filed rows under.
import type { PgDb } from '../client.js';

export function pgCatalogueCache<T>(db: PgDb, maxRows: number) {
  const entries = new Map<string, T[]>();
  let at = -1;
  let rows = 0;
  return {
    /**
     * Brings the cache to the current version, emptying it if the version moved or it holds more
     * than maxRows. False without the version row: then nothing can be trusted or cached.
     */
    async sync(): Promise<boolean> {
      const { rows: found } = await db.$client.query<{ version: number }>(
        'SELECT version FROM catalog_version WHERE id = 1',
      );
      const current = found[0]?.version;
      if (current === undefined) return false;
      if (current !== at || rows > maxRows) {
        entries.clear();
        at = current;
        rows = 0;
      }
      return true;
    },
    /** A site's cached rows (the caller copies them out: they stay untouched). */
    get: (siteId: string): T[] | undefined => entries.get(siteId),
    set(siteId: string, value: T[]) {
      rows += value.length - (entries.get(siteId)?.length ?? 0);
      entries.set(siteId, value);
    },
  };
}

/** The access version (users, memberships, sites, tokens, ingest keys); null without its row. */
export async function pgAccessVersion(db: PgDb): Promise<number | null> {
  const { rows } = await db.$client.query<{ version: number }>('SELECT version FROM access_version WHERE id = 1');
  return rows[0]?.version ?? null;
}
