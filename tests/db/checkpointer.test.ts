// The WAL checkpoint worker (src/db/checkpointer.ts): it folds committed pages into the database
// file without the writing connection doing it, and it stops cleanly.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKSTOP_PAGES, startCheckpointer } from '../../src/db/checkpointer.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';

const REPO = join(import.meta.dirname, '..', '..');

let dir: string;
let path: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sitewatt-ckpt-'));
  path = join(dir, 'db.sqlite');
  db = openDatabase(path);
  db.$client.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, blob BLOB NOT NULL)');
});

afterEach(() => {
  if (db.$client.open) db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

/** ~2 MiB in one transaction: about 500 pages, far below the backstop, so only the worker checkpoints them. */
function write2MiB() {
  const insert = db.$client.prepare('INSERT INTO filler (blob) VALUES (?)');
  db.$client.transaction(() => {
    for (let i = 0; i < 512; i++) insert.run(Buffer.alloc(4000, i % 256));
  })();
}

async function until(check: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe('WAL checkpoint worker', () => {
  it("raises the connection's own auto-checkpoint to the backstop", async () => {
    const checkpointer = startCheckpointer(db.$client, path, () => {});
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    await checkpointer.stop();
  });

  it('copies committed pages into the database file while the writer does not', async () => {
    db.$client.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    write2MiB();
    // Nothing folds the log back on its own below the backstop: the file stays small.
    await new Promise((r) => setTimeout(r, 100));
    expect(statSync(path).size).toBeLessThan(1024 * 1024);

    const errors: string[] = [];
    const checkpointer = startCheckpointer(db.$client, path, (m) => errors.push(m), 10);
    expect(await until(() => statSync(path).size > 2 * 1024 * 1024)).toBe(true);
    // And again: it keeps running, not once.
    write2MiB();
    expect(await until(() => statSync(path).size > 4 * 1024 * 1024)).toBe(true);
    await checkpointer.stop();
    expect(errors).toEqual([]);
  });

  it("stops, so closing the server's connection removes the log", async () => {
    const errors: string[] = [];
    const checkpointer = startCheckpointer(db.$client, path, (m) => errors.push(m), 10);
    write2MiB();
    // Proof that the worker's connection is open and working before it is stopped.
    expect(await until(() => statSync(path).size > 2 * 1024 * 1024)).toBe(true);
    await checkpointer.stop();
    expect(existsSync(`${path}-wal`)).toBe(true); // the server's connection still has it open
    db.$client.close();
    // The last connection to close folds the log in and deletes it; a live worker connection would keep it.
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(errors).toEqual([]);
  });

  it('does not keep a process alive that never stops it', async () => {
    // A script that starts a checkpointer and simply ends: it must exit on its own.
    const script = join(dir, 'forgets.ts');
    writeFileSync(
      script,
      `import Database from ${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))};
       import { startCheckpointer } from ${JSON.stringify(join(import.meta.dirname, '../../src/db/checkpointer.ts'))};
       const db = new Database(${JSON.stringify(path)});
       startCheckpointer(db, ${JSON.stringify(path)}, (m) => console.error(m), 10);
       console.log('started');`,
    );
    const result = await new Promise<{ code: number | null; out: string; timedOut: boolean }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', script], { cwd: REPO, timeout: 20_000 }, (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? null) : 0,
          out: stdout + stderr,
          timedOut: !!(err as { killed?: boolean } | null)?.killed,
        }),
      );
    });
    expect(result.timedOut, result.out).toBe(false);
    expect(result.code, result.out).toBe(0);
    expect(result.out.trim()).toBe('started');
  }, 30_000);

  it('reports a database it cannot open instead of failing silently', async () => {
    const errors: string[] = [];
    const checkpointer = startCheckpointer(db.$client, join(dir, 'missing.sqlite'), (m) => errors.push(m));
    await checkpointer.stop();
    expect(errors.join(' ')).toMatch(/unable to open|does not exist|missing/i);
  });

  it('runs with a file database in the app, and the app closes with it', async () => {
    db.$client.close();
    const logs: string[] = [];
    const stream = { write: (line: string) => void logs.push(line) };
    const app = await buildApp(testConfig({ databasePath: path, logLevel: 'info' }), { logger: { stream } });
    await app.ready();
    expect(app.db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    const insert = app.db.$client.prepare('INSERT INTO filler (blob) VALUES (?)');
    app.db.$client.transaction(() => {
      for (let i = 0; i < 512; i++) insert.run(Buffer.alloc(4000, i % 256));
    })();
    expect(await until(() => statSync(path).size > 2 * 1024 * 1024)).toBe(true);
    await app.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(logs.join('')).not.toContain('WAL checkpoint worker failed');
  });
});
