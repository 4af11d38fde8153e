// P4's baseline: the ceiling SQLite itself sets. Prepared inserts of P4's readings (same metrics,
// same spacing, same batch size) into a bare table of the readings table's shape, same pragmas.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CACHE_KIB } from '../src/db/client.js';

export function rawInserter(dir: string, metricCount: number, perBatch: number) {
  const db = new Database(join(dir, 'raw-insert.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`cache_size = -${CACHE_KIB}`);
  // A fresh table each time, so the warm-up's rows do not collide with the rounds'.
  db.exec('DROP TABLE IF EXISTS readings');
  db.exec(
    'CREATE TABLE readings (metric_pk INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (metric_pk, ts)) WITHOUT ROWID',
  );
  const insert = db.prepare('INSERT INTO readings (metric_pk, ts, value) VALUES (?, ?, ?)');
  const batch = db.transaction((ts: number, values: Float64Array) => {
    for (let i = 0; i < perBatch; i++)
      insert.run((i % metricCount) + 1, ts + Math.floor(i / metricCount) * 60_000, values[i]);
  });
  let ts = Date.UTC(2020, 0, 1);
  const values = new Float64Array(perBatch);

  return {
    /** Readings a second over about `seconds` of back-to-back batches. */
    run(seconds: number): number {
      let rows = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        for (let i = 0; i < perBatch; i++) values[i] = Math.round(Math.random() * 100_000) / 1000;
        batch(ts, values);
        ts += Math.ceil(perBatch / metricCount) * 60_000;
        rows += perBatch;
      }
      return rows / ((performance.now() - started) / 1000);
    },
    close: () => db.close(),
  };
}
