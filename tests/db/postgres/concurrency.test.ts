// What SQLite's single writer gave for free, made explicit on PostgreSQL: two nodes (two pools)
// writing the same metric at once. Roll-ups stay equal to the raw readings (per-metric advisory
// locks), and a device keeps at least one metric (its row locked before the check).
import { afterEach, describe, expect, it } from 'vitest';
import { rollupOf } from '../../../src/db/rollup-math.js';
import { dataRepos, freshSchema, PG_URL, siteWithDevice } from './harness.js';

const HOUR = 3_600_000;

let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

describe.skipIf(!PG_URL)('concurrent writers on PostgreSQL', () => {
  it('When two nodes ingest the same metrics’ hours at once, then hourly and daily roll-ups equal the raw readings', async () => {
    const s = await freshSchema(2, 4);
    drop = s.drop;
    const [a, b] = s.dbs.map(dataRepos);
    const { metrics } = await siteWithDevice(s.dbs[0]);
    const pks = (await a.metrics.findManyByIds(metrics.map((m) => m.id))).map((m) => m.pk).slice(0, 3);
    const start = Date.UTC(2026, 4, 1);
    // Batch i of each node writes hour i (node 0 at second 1, node 1 at second 2): when the two
    // batches run at once, both find the hour without a roll-up and each would write its own.
    const BATCHES = 150;
    const run = async (repos: typeof a, node: number) => {
      for (let i = 0; i < BATCHES; i++) {
        const ts = start + i * HOUR + (node + 1) * 1000;
        await repos.readings.ingest(pks.map((pk) => ({ metricPk: pk, ts, value: (ts / 1000) % 97 })));
      }
    };
    await Promise.all([run(a, 0), run(b, 1)]);
    await a.readings.buildPendingDailies();
    await a.readings.foldPendingDailies();
    const q = s.dbs[0].$client;
    for (const pk of pks) {
      const raw = (
        await q.query<{ ts: number; value: number }>(
          'SELECT ts, value FROM readings WHERE metric_pk = $1 ORDER BY ts',
          [pk],
        )
      ).rows;
      expect(raw).toHaveLength(2 * BATCHES);
      const hours = new Map<number, [number, number][]>();
      for (const r of raw) {
        const h = Math.floor(r.ts / HOUR) * HOUR;
        hours.set(h, [...(hours.get(h) ?? []), [r.ts, r.value]]);
      }
      const stored = await q.query(
        `SELECT start, count, min, max, first, last, first_ts AS "firstTs", last_ts AS "lastTs" FROM rollups_1h
          WHERE metric_pk = $1 ORDER BY start`,
        [pk],
      );
      expect(stored.rows).toEqual(
        [...hours].map(([h, rows]) => {
          const { sum: _s, deltaIn: _d, ...r } = rollupOf(h, rows);
          return r;
        }),
      );
      const sums = await q.query<{ raw: number; hourly: number; daily: number; n: number; dn: number }>(
        `SELECT (SELECT sum(value) FROM readings WHERE metric_pk = $1) AS raw,
                (SELECT sum(sum) FROM rollups_1h WHERE metric_pk = $1) AS hourly,
                (SELECT sum(sum) FROM rollups_1d WHERE metric_pk = $1) AS daily,
                (SELECT sum(count) FROM rollups_1h WHERE metric_pk = $1) AS n,
                (SELECT sum(count) FROM rollups_1d WHERE metric_pk = $1) AS dn`,
        [pk],
      );
      const t = sums.rows[0];
      expect(t.n).toBe(raw.length);
      expect(t.dn).toBe(raw.length);
      expect(t.hourly).toBeCloseTo(t.raw, 6);
      expect(t.daily).toBeCloseTo(t.raw, 6);
    }
  });

  it('When two nodes send the same metrics’ timestamps at once with different values, then neither fails and each hourly roll-up equals its stored readings', async () => {
    const s = await freshSchema(2, 4);
    drop = s.drop;
    const [a, b] = s.dbs.map(dataRepos);
    const { metrics } = await siteWithDevice(s.dbs[0]);
    const pks = (await a.metrics.findManyByIds(metrics.map((m) => m.id))).map((m) => m.pk).slice(0, 3);
    const start = Date.UTC(2026, 4, 1);
    // Both nodes write the same keys (each batch two hours of its metrics), so their inserts wait
    // on each other's rows while the roll-ups wait on the metrics' locks.
    const run = async (repos: typeof a, node: number) => {
      for (let i = 0; i < 60; i++) {
        const rows = pks.flatMap((pk) =>
          [0, 20, 40, 60, 80, 100].map((m) => ({
            metricPk: pk,
            ts: start + i * HOUR + m * 60_000,
            value: node * 100 + m,
          })),
        );
        await repos.readings.ingest(rows);
      }
    };
    await Promise.all([run(a, 0), run(b, 1)]);
    const q = s.dbs[0].$client;
    const mismatched = await q.query(
      `SELECT h.metric_pk, h.start FROM rollups_1h h
        LEFT JOIN LATERAL (SELECT count(*)::int AS n, sum(value ORDER BY ts) AS s, min(value) AS lo, max(value) AS hi,
          (array_agg(value ORDER BY ts DESC))[1] AS last FROM readings r
          WHERE r.metric_pk = h.metric_pk AND r.ts >= h.start AND r.ts < h.start + ${HOUR}) r ON true
       WHERE h.metric_pk = ANY($1::int4[]) AND (h.count <> r.n OR h.sum <> r.s OR h.min <> r.lo OR h.max <> r.hi OR h.last <> r.last)`,
      [pks],
    );
    expect(mismatched.rows).toEqual([]);
    const hours = await q.query('SELECT count(*)::int AS n FROM rollups_1h WHERE metric_pk = ANY($1::int4[])', [pks]);
    expect(hours.rows[0].n).toBe(pks.length * 61);
  });

  it('When two nodes delete a device’s last two metrics at once, then one delete is refused and the device keeps a metric', async () => {
    const s = await freshSchema(2, 4);
    drop = s.drop;
    const [a, b] = s.dbs.map(dataRepos);
    for (let round = 0; round < 5; round++) {
      const { device, metrics } = await siteWithDevice(s.dbs[0]);
      // Down to two metrics, then each node deletes one of them.
      for (const m of metrics.slice(2)) expect((await a.metrics.delete(m.id, null)).status).toBe('ok');
      const results = await Promise.all([a.metrics.delete(metrics[0].id, null), b.metrics.delete(metrics[1].id, null)]);
      expect(results.map((r) => r.status).sort()).toEqual(['last', 'ok']);
      expect(await a.metrics.listByDevice(device.id)).toHaveLength(1);
    }
  });

  it('When a device is deleted while a batch of its readings waits to be stored, then the batch is refused and no reading is left behind', async () => {
    const s = await freshSchema(2, 4);
    drop = s.drop;
    const [a] = s.dbs.map(dataRepos);
    const { device, metrics } = await siteWithDevice(s.dbs[0]);
    const [pk] = (await a.metrics.findManyByIds([metrics[0].id])).map((m) => m.pk);
    // The other node's deletion holds the metric's row while the batch arrives.
    const deleter = await s.dbs[1].$client.connect();
    try {
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM devices WHERE id = $1', [device.id]);
      const batch = a.readings.ingest([{ metricPk: pk, ts: Date.UTC(2026, 4, 1), value: 1 }]);
      await new Promise((r) => setTimeout(r, 200));
      await deleter.query('COMMIT');
      await expect(batch).rejects.toThrow(/foreign key/i);
    } finally {
      deleter.release();
    }
    const left = await s.dbs[0].$client.query('SELECT count(*)::int AS n FROM readings WHERE metric_pk = $1', [pk]);
    expect(left.rows[0].n).toBe(0);
  });

  it('When a device is deleted while a batch of its readings is being committed, then the deletion waits and takes those readings too', async () => {
    const s = await freshSchema(2, 4);
    drop = s.drop;
    const [a, b] = s.dbs.map(dataRepos);
    const { device, metrics } = await siteWithDevice(s.dbs[0]);
    const [pk] = (await a.metrics.findManyByIds([metrics[0].id])).map((m) => m.pk);
    await a.readings.ingest([{ metricPk: pk, ts: Date.UTC(2026, 4, 1), value: 1 }]);
    // A batch in flight on one node: its metric's row locked as ingestion locks it, one reading written.
    const writer = await s.dbs[0].$client.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('SELECT pk FROM metrics WHERE pk = $1 FOR KEY SHARE', [pk]);
      await writer.query('INSERT INTO readings (metric_pk, ts, value) VALUES ($1, $2, 2)', [pk, Date.UTC(2026, 4, 2)]);
      const deletion = b.devices.delete(device.id, null);
      await new Promise((r) => setTimeout(r, 200));
      await writer.query('COMMIT');
      await deletion;
    } finally {
      writer.release();
    }
    const left = await s.dbs[0].$client.query('SELECT count(*)::int AS n FROM readings WHERE metric_pk = $1', [pk]);
    expect(left.rows[0].n).toBe(0);
  });

  it('When two nodes edit a device with the same If-Match version at once, then one edit wins and the other is stale', async () => {
    const s = await freshSchema(2, 4);
    drop = s.drop;
    const [a, b] = s.dbs.map(dataRepos);
    const { device } = await siteWithDevice(s.dbs[0]);
    const results = await Promise.all([
      a.devices.update(device.id, { name: 'A' }, device.version, null),
      b.devices.update(device.id, { name: 'B' }, device.version, null),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['ok', 'stale']);
    expect((await a.devices.findById(device.id))!.version).toBe(device.version + 1);
  });
});
