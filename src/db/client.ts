import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { projectRoot } from '../paths.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const MIGRATIONS_FOLDER = join(projectRoot(), 'drizzle');
/** SQLite's page cache per connection, in KiB. */
export const CACHE_KIB = 64 * 1024;

/**
 * Creates `path` readable by its owner only (0600, less what the umask takes) unless it exists.
 * SQLite would create it 0644 (world-readable: password hashes, sessions); its -wal, -shm and
 * -journal files copy the database file's mode, so they follow. https://www.sqlite.org/tempfiles.html
 */
export function createPrivate(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
}

/** Opens SQLite with foreign keys, WAL and a busy timeout, and applies pending migrations. */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    createPrivate(path);
  }
  const sqlite = new Database(path);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  if (path !== ':memory:') {
    sqlite.pragma('journal_mode = WAL');
    // WAL + NORMAL is durable against process crashes (a committed transaction is in the WAL);
    // only a power loss can drop the last transactions. https://www.sqlite.org/wal.html
    sqlite.pragma('synchronous = NORMAL');
    // SQLite's default page cache is 2 MiB; one ingestion batch of 200 metrics touches ~570 pages
    // (2.3 MiB) spread over the readings table, so each batch read back pages the last one had
    // evicted. 64 MiB (an upper bound, filled as pages are used) keeps them across batches on a
    // large database (docs/performance.md, P4). Negative: KiB, not pages.
    sqlite.pragma(`cache_size = -${CACHE_KIB}`);
  }
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return db;
}
