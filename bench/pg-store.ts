// The bench on PostgreSQL: a database of its own, made from the given server URL (its role must be
// allowed to create databases) and dropped at the end, so the server runs on a plain DATABASE_URL
// exactly as deployed. Seeded through the PostgreSQL repositories, as the server will read it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPgDatabase } from '../src/db/postgres/client.js';
import { createPgRepositories } from '../src/db/postgres/repositories/index.js';
import type { BenchStore, DeviceMetric, RawInserter, Storage } from './store.js';

async function onServer<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function openPgStore(serverUrl: string): Promise<BenchStore> {
  const name = `sitewatt_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const at = new URL(serverUrl);
  at.pathname = `/${name}`;
  const url = at.toString();
  const seed = await openPgDatabase({ url, poolSize: 4, statementTimeoutMs: 0 });
  // The bench's own queries (storage, devices, the raw-insert baseline: two writers at once).
  const own = new pg.Pool({ connectionString: url, max: 3 });
  return {
    backend: 'postgres',
    repos: createPgRepositories(seed),
    serverEnv: { DATABASE_URL: url, DATABASE_PATH: undefined },
    storage: () => pgStorage(own),
    closeSeed: () => seed.$client.end(),
    async deviceMetrics() {
      const { rows } = await own.query<DeviceMetric>(
        `SELECT d.id AS "deviceId", d.site_id AS "siteId", m.id AS id, m.key AS key
         FROM devices d JOIN metrics m ON m.device_id = d.id ORDER BY d.id, m.key`,
      );
      return rows;
    },
    rawInserter: (metricCount, perBatch) => pgRawInserter(own, metricCount, perBatch),
    async backendPids() {
      const { rows } = await own.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      return rows.map((r) => r.pid);
    },
    async drop() {
      await own.end();
      await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * P8 on PostgreSQL: every table of the database with its indexes and TOAST (pg_total_relation_size),
 * readings' monthly partitions counted as one, after VACUUM ANALYZE (what autovacuum does after a load
 * this size anyway; the plans of P5 and P10 need the statistics).
 */
async function pgStorage(pool: pg.Pool): Promise<Storage> {
  await pool.query('VACUUM ANALYZE');
  const { rows } = await pool.query<{ name: string; bytes: number }>(
    `SELECT coalesce(pg_partition_root(c.oid)::text, c.relname) AS name, sum(pg_total_relation_size(c.oid))::int8 AS bytes
     FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
     GROUP BY 1 ORDER BY 2 DESC`,
  );
  const readings = (await pool.query<{ n: number }>('SELECT count(*)::int8 AS n FROM readings')).rows[0].n;
  const breakdown: Record<string, number> = {};
  for (const r of rows.slice(0, 6)) breakdown[r.name] = r.bytes;
  return {
    bytes: rows.reduce((n, r) => n + r.bytes, 0),
    readings,
    breakdown,
    source: 'tables with indexes',
  };
}

/**
 * P4's baseline on PostgreSQL: its own multi-row INSERT (arrays through unnest, as the repository
 * sends them) of P4's readings into a bare table of the readings table's shape and key, one
 * statement of 5,000 rows a transaction, from two connections at once as P4's load has two.
 */
async function pgRawInserter(pool: pg.Pool, metricCount: number, perBatch: number): Promise<RawInserter> {
  const writers = 2;
  await pool.query('DROP TABLE IF EXISTS bare_readings');
  await pool.query(
    `CREATE TABLE bare_readings (metric_pk int4 NOT NULL, ts int8 NOT NULL, value float8 NOT NULL,
       PRIMARY KEY (metric_pk, ts))`,
  );
  let ts = Date.UTC(2020, 0, 1);
  const steps = Math.ceil(perBatch / metricCount);
  const batch = () => {
    const from = ts;
    ts += steps * 60_000;
    const pk = new Array<number>(perBatch);
    const t = new Array<number>(perBatch);
    const v = new Array<number>(perBatch);
    for (let i = 0; i < perBatch; i++) {
      pk[i] = (i % metricCount) + 1;
      t[i] = from + Math.floor(i / metricCount) * 60_000;
      v[i] = Math.round(Math.random() * 100_000) / 1000;
    }
    return [pk, t, v];
  };
  return {
    name: `PostgreSQL multi-row INSERT, ${perBatch.toLocaleString('en')}/tx, ${writers} connections`,
    async run(seconds) {
      let rows = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async () => {
          const c = await pool.connect();
          try {
            while (performance.now() - started < seconds * 1000) {
              await c.query(
                'INSERT INTO bare_readings SELECT * FROM unnest($1::int4[], $2::int8[], $3::float8[])',
                batch(),
              );
              rows += perBatch;
            }
          } finally {
            c.release();
          }
        }),
      );
      return rows / ((performance.now() - started) / 1000);
    },
    close: async () => void (await pool.query('DROP TABLE IF EXISTS bare_readings')),
  };
}
