// `npm run backup -- <file> [--force]`: a consistent copy of the live database while the server
// runs, checked with integrity_check. In the container: `node dist/src/scripts/backup.js <file>`.
//
// SQLite's online backup API copies pages inside a read transaction; in WAL mode readers and the
// writer do not block each other, so ingestion goes on. All pages are copied in one step: between
// steps, a write by another process would restart the copy, and under steady ingestion it might
// never finish. https://www.sqlite.org/backup.html, https://www.sqlite.org/wal.html
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { ConfigError, loadConfig } from '../config.js';
import { createPrivate } from '../db/client.js';

const USAGE = 'Usage: npm run backup -- <file> [--force]   (--force replaces an existing file)';

class BackupError extends Error {}

function parse(argv: string[]): { target: string; force: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { force: { type: 'boolean', default: false } } });
  } catch (err) {
    throw new BackupError(`${(err as Error).message}\n${USAGE}`);
  }
  if (parsed.positionals.length !== 1) throw new BackupError(`Give exactly one backup file.\n${USAGE}`);
  return { target: resolve(parsed.positionals[0]), force: parsed.values.force };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function backup(source: string, target: string, force: boolean) {
  if (source === ':memory:') throw new BackupError('DATABASE_PATH is :memory:, there is nothing on disk to back up');
  if (!existsSync(source)) throw new BackupError(`No database at ${source} (DATABASE_PATH)`);
  if (resolve(source) === target) throw new BackupError('The backup file cannot be the live database itself');
  if (existsSync(target) && !force) throw new BackupError(`${target} already exists; pass --force to replace it`);

  // Written beside the target and renamed only once checked, so a failed run never leaves a
  // file that looks like a good backup.
  const partial = `${target}.partial-${process.pid}`;
  mkdirSync(dirname(target), { recursive: true });
  const started = Date.now();
  try {
    // Read-only: the backup never writes to the live database, and fileMustExist refuses a typo.
    const live = new Database(source, { readonly: true, fileMustExist: true });
    try {
      live.pragma('busy_timeout = 5000');
      // A backup holds what the database holds: owner-only, like the database (src/db/client.ts).
      createPrivate(partial);
      await live.backup(partial, { progress: () => 0x7fffffff });
    } finally {
      live.close();
    }
    const copy = new Database(partial);
    let summary;
    try {
      // A self-contained file: no -wal or -shm to carry around with it.
      copy.pragma('journal_mode = DELETE');
      const problems = copy.pragma('integrity_check') as { integrity_check: string }[];
      if (problems.length !== 1 || problems[0].integrity_check !== 'ok') {
        throw new BackupError(
          `integrity_check failed on the copy, which is page for page the live database: the live database may be damaged.\n  ${problems.map((p) => p.integrity_check).join('\n  ')}`,
        );
      }
      const tables = copy
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .pluck()
        .all() as string[];
      const count = (table: string) =>
        tables.includes(table) ? (copy.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number) : null;
      summary = { tables, readings: count('readings'), rollups: count('rollups_1h'), metrics: count('metrics') };
    } finally {
      copy.close();
    }
    // A stale -wal beside the replaced file would be replayed onto the new one when it is opened.
    for (const leftover of [`${target}-wal`, `${target}-shm`, `${target}-journal`]) rmSync(leftover, { force: true });
    renameSync(partial, target);
    return { ...summary, bytes: statSync(target).size, seconds: (Date.now() - started) / 1000 };
  } finally {
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
  }
}

async function main() {
  const { target, force } = parse(process.argv.slice(2));
  const { databasePath, postgres } = loadConfig();
  // This copies a SQLite file; a PostgreSQL database is backed up by PostgreSQL's own tools.
  if (postgres) {
    throw new BackupError(
      'DATABASE_URL is set: the data is in PostgreSQL, which this command does not copy. Use pg_dump for a ' +
        'snapshot, or continuous archiving with point-in-time recovery (PITR); see docs/operations.md, "Running on PostgreSQL".',
    );
  }
  const s = await backup(resolve(databasePath), target, force);
  console.log(`Backup of ${resolve(databasePath)} written to ${target}`);
  console.log(`  size: ${mb(s.bytes)} (${s.bytes} bytes), taken in ${s.seconds.toFixed(1)} s`);
  console.log('  integrity_check: ok');
  console.log(`  tables (${s.tables.length}): ${s.tables.join(', ')}`);
  console.log(
    `  rows: readings ${s.readings ?? '-'}, hourly roll-ups ${s.rollups ?? '-'}, metrics ${s.metrics ?? '-'}`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof BackupError || err instanceof ConfigError) console.error(`Backup failed: ${err.message}`);
  else console.error('Backup failed:', err);
  process.exitCode = 1;
});
