// Rows cached per site while the catalogue version is unchanged: the triggers of
// drizzle/0004_catalog_version.sql move it on any change to devices and metrics other than a new
// latest value, whoever writes; it serves the hottest reads. One mechanism for the metrics repository (a
// site's metrics without their latest values) and the devices repository (a site's first page).
//
// Callers do not use it inside their caller's transaction: a change made there moves the version,
// and its rollback can bring the version back to a number the cache has already filed rows under.
import type { Db } from '../client.js';

export function catalogueCache<T>(db: Db, maxRows: number) {
  const version = db.$client.prepare<[], number>('SELECT version FROM catalog_version WHERE id = 1').pluck(true);
  const entries = new Map<string, T[]>();
  let at = -1;
  let rows = 0;
  return {
    /**
     * Brings the cache to the current version, emptying it if the version moved or it holds more
     * than maxRows. False without the version row: then nothing can be trusted or cached.
     */
    sync(): boolean {
      const current = version.get();
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
