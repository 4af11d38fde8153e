// The bench's database, on either backend: the repositories the dataset is seeded through, what the
// server's environment needs to open the same data, and the backend's own measurements (storage,
// P4's raw-insert baseline, the devices P11/P12 drive).
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { openDatabase } from '../src/db/client.js';
import { createRepositories, type Repositories } from '../src/db/repositories/index.js';
import { openPgStore } from './pg-store.js';
import { rawInserter } from './raw-insert.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKEND_LABEL: Record<Backend, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

export interface Storage {
  bytes: number;
  readings: number;
  /** Bytes per table or index (SQLite's dbstat), or per table with its indexes (PostgreSQL). */
  breakdown: Record<string, number>;
  /** What `bytes` counts, for the P8 row. */
  source: string;
}

export interface DeviceMetric {
  deviceId: string;
  siteId: string;
  id: string;
  key: string;
}

/** P4's baseline: the backend's own insert of P4's readings (same metrics, spacing and batch size). */
export interface RawInserter {
  /** Readings a second over about `seconds` of back-to-back batches. */
  run(seconds: number): Promise<number>;
  /** What the baseline is, for the P4 row. */
  name: string;
  close(): Promise<void>;
}

export interface BenchStore {
  backend: Backend;
  repos: Repositories;
  /** The server's database variables; the other backend's are unset, whatever the bench's own environment says. */
  serverEnv: Record<string, string | undefined>;
  /** Measured after seeding, with the seeding connection still open. */
  storage(): Promise<Storage>;
  /** Closes the seeding connection; the server opens its own. */
  closeSeed(): Promise<void>;
  deviceMetrics(): Promise<DeviceMetric[]>;
  rawInserter(metricCount: number, perBatch: number): Promise<RawInserter>;
  /** PostgreSQL: the server processes of this database's connections (their CPU time counts as the database's). */
  backendPids?(): Promise<number[]>;
  /** Removes what the run made that `dir` does not hold (PostgreSQL's database). */
  drop(): Promise<void>;
}

export function openStore(backend: Backend, dir: string, pgUrl: string | null): Promise<BenchStore> {
  if (backend === 'postgres') {
    if (!pgUrl) throw new Error('--db postgres needs TEST_DATABASE_URL or DATABASE_URL (postgres://…)');
    return openPgStore(pgUrl);
  }
  return Promise.resolve(openSqliteStore(dir));
}

function openSqliteStore(dir: string): BenchStore {
  const dbPath = join(dir, 'bench.db');
  const db = openDatabase(dbPath);
  return {
    backend: 'sqlite',
    repos: createRepositories(db),
    serverEnv: { DATABASE_PATH: dbPath, DATABASE_URL: undefined },
    storage: () => Promise.resolve(sqliteStorage(db.$client)),
    closeSeed: async () => void db.$client.close(),
    deviceMetrics() {
      const ro = new Database(dbPath, { readonly: true });
      try {
        return Promise.resolve(
          ro
            .prepare(
              `SELECT d.id AS deviceId, d.site_id AS siteId, m.id AS id, m.key AS key
               FROM devices d JOIN metrics m ON m.device_id = d.id ORDER BY d.id, m.key`,
            )
            .all() as DeviceMetric[],
        );
      } finally {
        ro.close();
      }
    },
    rawInserter(metricCount, perBatch) {
      const raw = rawInserter(dir, metricCount, perBatch);
      return Promise.resolve({
        name: `raw prepared INSERT, ${perBatch.toLocaleString('en')}/tx`,
        run: (seconds: number) => Promise.resolve(raw.run(seconds)),
        close: async () => void raw.close(),
      });
    },
    drop: () => Promise.resolve(),
  };
}

/** P8: the whole file (roll-ups and indexes included) after a checkpoint, per stored reading. */
function sqliteStorage(c: ReturnType<typeof openDatabase>['$client']): Storage {
  c.pragma('wal_checkpoint(TRUNCATE)');
  const pages = c.pragma('page_count', { simple: true }) as number;
  const pageSize = c.pragma('page_size', { simple: true }) as number;
  const readings = (c.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
  const breakdown: Record<string, number> = {};
  for (const r of c
    .prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 6')
    .all() as { name: string; bytes: number }[]) {
    breakdown[r.name] = r.bytes;
  }
  return { bytes: pages * pageSize, readings, breakdown, source: 'file' };
}
