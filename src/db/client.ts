import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

// Found by walking up, so it works from src/ (tsx, tests) and from dist/src/ (build).
export const MIGRATIONS_FOLDER = findUp(dirname(fileURLToPath(import.meta.url)), 'drizzle/meta/_journal.json');

function findUp(from: string, marker: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, marker))) return join(dir, 'drizzle');
    if (dirname(dir) === dir) throw new Error(`Cannot find ${marker} above ${from}`);
  }
}

/** Opens SQLite with foreign keys, WAL and a busy timeout, and applies pending migrations. */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  if (path !== ':memory:') {
    sqlite.pragma('journal_mode = WAL');
    // WAL + NORMAL is durable against process crashes (a committed transaction is in the WAL);
    // only a power loss can drop the last transactions. https://www.sqlite.org/wal.html
    sqlite.pragma('synchronous = NORMAL');
  }
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return db;
}
