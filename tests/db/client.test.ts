// How src/db/client.ts opens a database file: the settings durability and speed rely on.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_KIB, openDatabase } from '../../src/db/client.js';

const dir = mkdtempSync(join(tmpdir(), 'sitewatt-client-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('openDatabase', () => {
  it('When a database file is opened, then it runs in WAL mode, synchronous=NORMAL, with foreign keys, a busy timeout and a 64 MiB page cache', () => {
    const db = openDatabase(join(dir, 'nested', 'db.sqlite'));
    const get = (pragma: string) => db.$client.pragma(pragma, { simple: true });
    try {
      expect(get('journal_mode')).toBe('wal');
      expect(get('synchronous')).toBe(1); // NORMAL
      expect(get('foreign_keys')).toBe(1);
      expect(get('busy_timeout')).toBe(5000);
      expect(CACHE_KIB).toBe(64 * 1024);
      expect(get('cache_size')).toBe(-CACHE_KIB);
      // Migrations applied: the readings table exists.
      expect(db.$client.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'readings'").pluck().get()).toBe(
        1,
      );
    } finally {
      db.$client.close();
    }
  });

  it('When a database file is created, then it and its WAL and shared-memory files are readable by their owner only (they were 0644)', () => {
    const path = join(dir, 'private', 'db.sqlite');
    const db = openDatabase(path);
    try {
      db.$client.exec('CREATE TABLE probe (x); INSERT INTO probe VALUES (1)');
      for (const file of [path, `${path}-wal`, `${path}-shm`])
        expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');
    } finally {
      db.$client.close();
    }
  });
});
