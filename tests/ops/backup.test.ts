// `npm run backup` under concurrent ingestion: a separate process writes batches of readings through
// the repository (the server's ingestion transaction) while the backup script runs as another one.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { createRepositories } from '../../src/db/repositories/index.js';
import { defaultMetricsFor } from '../../src/domain/device-types.js';

const REPO = join(import.meta.dirname, '..', '..');
const TSX = createRequire(import.meta.url).resolve('tsx/cli');
const BATCH = 400;
const BASE = Date.UTC(2026, 0, 1);
const BATCH_SPAN = 1_000_000; // batch b holds timestamps BASE + b * BATCH_SPAN + [0, BATCH)

// Written to the temporary folder: the repository's ingest, one transaction per batch, until SIGTERM.
const WRITER = `
import { openDatabase } from ${JSON.stringify(join(REPO, 'src/db/client.ts'))};
import { createRepositories } from ${JSON.stringify(join(REPO, 'src/db/repositories/index.ts'))};
const [path, pks] = [process.argv[2], JSON.parse(process.argv[3])];
const db = openDatabase(path);
const repos = createRepositories(db);
let batch = 0, stopping = false;
process.on('SIGTERM', () => { stopping = true; });
while (!stopping) {
  batch++;
  const rows = Array.from({ length: ${BATCH} }, (_, i) => ({ metricPk: pks[i % pks.length], ts: ${BASE} + batch * ${BATCH_SPAN} + i, value: batch }));
  await repos.readings.ingest(rows);
  if (batch % 10 === 0) console.log(batch);
  await new Promise((r) => setImmediate(r));
}
db.$client.close();
console.log('done', batch);
`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function backup(
  dir: string,
  databasePath: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<Result> {
  return new Promise((resolve) => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      DATABASE_PATH: databasePath,
      ...extraEnv,
    };
    const child = execFile(
      process.execPath,
      [TSX, join(REPO, 'src/scripts/backup.ts'), ...args],
      { cwd: dir, env },
      (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('npm run backup -- <file>', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sitewatt-backup-'));
  const live = join(dir, 'live', 'sitewatt.db');
  let writer: ChildProcess | undefined;
  let written = 0;
  let output = '';

  beforeAll(async () => {
    const db = openDatabase(live);
    const repos = createRepositories(db);
    const site = await repos.sites.create(
      { name: 'Backup Site', description: '', latitude: 52.5, longitude: 13.4, timezone: 'Europe/Berlin' },
      null,
    );
    await repos.devices.create(
      site.id,
      { name: 'Battery', type: 'battery', manufacturer: null, model: null, serialNumber: null },
      defaultMetricsFor('battery'),
      null,
    );
    const pks = db.$client.prepare('SELECT pk FROM metrics ORDER BY pk').pluck().all() as number[];
    db.$client.close();
    writeFileSync(join(dir, 'writer.mts'), WRITER);
    const child = spawn(process.execPath, [TSX, join(dir, 'writer.mts'), live, JSON.stringify(pks)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    writer = child;
    child.stderr!.on('data', (d: Buffer) => (output += d));
    // A database of some megabytes before the backup starts, so the copy takes real time.
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        output += d;
        written = Math.max(written, ...String(d).split(/\s+/).map(Number).filter(Number.isFinite));
        if (written >= 150) resolve();
      });
      child.once('exit', () => reject(new Error(`The writer stopped:\n${output}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (writer && writer.exitCode === null) {
      const exited = new Promise((r) => writer!.once('exit', r));
      writer.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('When readings are ingested meanwhile, then the copy passes integrity_check and holds only complete batches', async () => {
    const before = written;
    const target = join(dir, 'backups', 'copy.db');
    const result = await backup(dir, live, [target]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/integrity_check: ok/);
    // The database, its WAL and the backup hold password hashes and sessions: owner-only (they were 0644).
    for (const file of [live, `${live}-wal`, `${live}-shm`, target])
      expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');

    const exited = new Promise((r) => writer!.once('exit', r));
    writer!.kill('SIGTERM');
    await exited;
    const total = Number(/done (\d+)/.exec(output)?.[1]);

    const copy = new Database(target, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const batches = copy
      .prepare(
        `SELECT (ts - ${BASE}) / ${BATCH_SPAN} AS batch, count(*) AS n FROM readings GROUP BY batch ORDER BY batch`,
      )
      .all() as { batch: number; n: number }[];
    // Every batch is all there or not there, and the batches present are a prefix 1..k.
    expect(batches.every((b) => b.n === BATCH)).toBe(true);
    expect(batches.map((b) => b.batch)).toEqual(batches.map((_, i) => i + 1));
    // The copy is a moment during the run: after what was written before it, before the writer's end.
    expect(batches.length).toBeGreaterThanOrEqual(before);
    expect(batches.length).toBeLessThan(total);
    // Roll-ups and latest values commit in the readings' transaction, so they agree in the copy.
    const readings = copy.prepare('SELECT count(*) FROM readings').pluck().get() as number;
    expect(copy.prepare('SELECT sum(count) FROM rollups_1h').pluck().get()).toBe(readings);
    const latest = copy
      .prepare(
        'SELECT m.latest_ts AS latest, (SELECT max(ts) FROM readings r WHERE r.metric_pk = m.pk) AS newest FROM metrics m',
      )
      .all() as { latest: number; newest: number }[];
    for (const m of latest) expect(m.latest).toBe(m.newest);
    expect(result.stdout).toContain(`readings ${readings}`);
    copy.close();

    // Restoring is copying the file into place: the server's openDatabase accepts it as it is.
    const restored = join(dir, 'restored', 'sitewatt.db');
    mkdirSync(dirname(restored));
    copyFileSync(target, restored);
    const db = openDatabase(restored);
    expect(db.$client.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(readings);
    db.$client.close();
  }, 120_000);

  it('When DATABASE_URL points at PostgreSQL, then it copies nothing and says to use pg_dump or PITR', async () => {
    const target = join(dir, 'from-postgres.db');
    const result = await backup(dir, live, [target], {
      DATABASE_URL: 'postgres://sitewatt@127.0.0.1:1/sitewatt',
      SESSION_SECRET: 'a-secret-of-at-least-32-characters-long',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/PostgreSQL.*pg_dump.*point-in-time recovery/s);
    expect(existsSync(target)).toBe(false);
  }, 60_000);

  it('When no file is given, then it exits non-zero with the usage', async () => {
    const result = await backup(dir, live, []);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Usage: npm run backup -- <file>/);
  }, 60_000);

  it('When the file exists, then it refuses without --force and leaves the file alone, and replaces it with --force', async () => {
    const target = join(dir, 'existing.db');
    writeFileSync(target, 'an older backup');
    const refused = await backup(dir, live, [target]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(target, 'utf8')).toBe('an older backup');

    const forced = await backup(dir, live, [target, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(target).subarray(0, 15).toString()).toBe('SQLite format 3');
  }, 60_000);

  it('When the database is damaged, then integrity_check fails, it exits non-zero and writes no backup', async () => {
    const damaged = join(dir, 'damaged.db');
    const db = new Database(damaged);
    db.exec('CREATE TABLE t (a, b); CREATE INDEX t_a ON t (a); INSERT INTO t VALUES (1, 2), (3, 4);');
    // The index now claims to cover b, but its entries hold a: integrity_check reports the mismatch.
    db.unsafeMode(true); // better-sqlite3 runs SQLite in defensive mode, which forbids this
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_master SET sql = 'CREATE INDEX t_a ON t (b)' WHERE name = 't_a'").run();
    db.close();
    const target = join(dir, 'from-damaged.db');
    const result = await backup(dir, damaged, [target]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/integrity_check failed/);
    expect(existsSync(target)).toBe(false);
  }, 60_000);
});
