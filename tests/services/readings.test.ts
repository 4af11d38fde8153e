import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { BATCH_SPAN } from '../../src/db/coordination.js';
import type { Actor } from '../../src/services/policy.js';
import { buildTestApp, createWorld } from '../helpers/app.js';
import { tapLive } from '../helpers/live.js';
import { sqlOf } from '../helpers/sql.js';

type World = Awaited<ReturnType<typeof createWorld>>;

let app: App;
let w: World;
let tech: Actor;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  tech = (await app.services.auth.loadActor(w.technician.id))!;
});
afterEach(() => app.close());

const NOW = Date.parse('2026-01-15T12:00:00Z');
const ingest = (timestamp: string, value = 1, now = NOW) =>
  app.services.readings.ingest(tech, [{ metricId: w.metrics[0].id, timestamp, value }], now);
const rows = () => sqlOf(app).all<{ ts: number; value: number }>('SELECT ts, value FROM readings ORDER BY ts');
const rollups = () =>
  sqlOf(app).all(
    'SELECT start, count, sum, min, max, first, last, first_ts AS "firstTs", last_ts AS "lastTs", delta_in AS "deltaIn" FROM rollups_1h ORDER BY metric_pk, start',
  );
const latest = () =>
  sqlOf(app).get('SELECT latest_ts AS ts, latest_value AS value FROM metrics WHERE pk = ?', w.metrics[0].pk);

async function refusal(promise: Promise<unknown>) {
  const err = (await promise.then(
    () => null,
    (e: unknown) => e,
  )) as { statusCode: number; errors?: { path: string; message: string }[] } | null;
  expect(err, 'expected the batch to be refused').not.toBeNull();
  return err!;
}

describe('readingsService.ingest: timestamps', () => {
  it('When a reading is exactly 5 minutes ahead of the server clock, then it is accepted; a millisecond more is refused', async () => {
    expect(await ingest('2026-01-15T12:05:00.000Z')).toEqual({ stored: 1 });
    const err = await refusal(ingest('2026-01-15T12:05:00.001Z'));
    expect(err.statusCode).toBe(422);
    expect(err.errors).toEqual([{ path: '/readings/0/timestamp', message: 'More than 5 minutes in the future' }]);
  });

  it('When a timestamp has an offset, minutes only or a fraction, then it is stored at the right UTC instant', async () => {
    await ingest('2026-01-15T15:30:00+05:30', 1);
    await ingest('2026-01-15T10:01Z', 2);
    await ingest('2026-01-15T10:02:03.25-00:00', 3);
    expect(await rows()).toEqual([
      { ts: Date.parse('2026-01-15T10:00:00Z'), value: 1 },
      { ts: Date.parse('2026-01-15T10:01:00Z'), value: 2 },
      { ts: Date.parse('2026-01-15T10:02:03.250Z'), value: 3 },
    ]);
  });

  // Regression: Date.parse rolled 2026-02-30 over to 2 March and stored the reading there.
  it.each([
    '2026-02-30T10:00:00Z',
    '2025-02-29T10:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-01-15T24:00:00Z',
    '2026-01-15T10:60:00Z',
    '2026-01-15T10:00:60Z',
    '2026-13-01T00:00:00Z',
    '2026-01-15T10:00:00+25:00',
    '2026-01-15',
    '1700000000000',
  ])(
    'When the timestamp is %s (not a real instant), then the batch is refused and nothing is stored',
    async (timestamp) => {
      const err = await refusal(ingest(timestamp));
      expect(err.statusCode).toBe(422);
      expect(err.errors).toEqual([{ path: '/readings/0/timestamp', message: expect.stringMatching(/ISO 8601/) }]);
      expect(await rows()).toEqual([]);
    },
  );

  it('When a leap day exists, then it is accepted', async () => {
    expect(await ingest('2024-02-29T10:00:00Z')).toEqual({ stored: 1 });
  });

  it('When a timestamp is before 1970, then it is refused', async () => {
    expect((await refusal(ingest('1969-12-31T23:59:59Z'))).errors![0].message).toBe('Before 1970');
  });

  it('When a leap day of year 0000 or 0004 is sent, then it is a real date (before 1970), not a malformed one as in 1900', async () => {
    for (const timestamp of ['0000-02-29T00:00:00Z', '0004-02-29T00:00:00Z'])
      expect((await refusal(ingest(timestamp))).errors![0].message, timestamp).toBe('Before 1970');
    expect((await refusal(ingest('0001-02-29T00:00:00Z'))).errors![0].message).toMatch(/ISO 8601/);
  });
});

describe('readingsService.write: live fan-out', () => {
  it('When readings are ingested, then the hub publishes them after commit; a backfill (live: false) publishes nothing', async () => {
    const readable: Promise<void>[] = [];
    app.services.hub.onReadings((batch) => {
      // Published after the commit: the reading is already readable (the query starts here).
      readable.push(rows().then((stored) => expect(stored.map((r) => r.ts)).toContain(batch[0].ts)));
    });
    const live = tapLive(app);
    const reading = (ts: string, value: number) => ({
      metricPk: w.metrics[0].pk,
      metricId: w.metrics[0].id,
      ts: Date.parse(ts),
      value,
    });
    await ingest('2026-01-15T11:00:00Z', 7);
    await live.until((seen) => seen.length >= 1);
    await Promise.all(readable);
    // One process numbers readings from 1; PostgreSQL's relay numbers them by batch (the first is 1).
    expect(live.seen).toEqual([{ seq: app.pg ? BATCH_SPAN : 1, ...reading('2026-01-15T11:00:00Z', 7) }]);
    await app.services.readings.write([reading('2026-01-15T11:01:00Z', 8)], { live: false });
    // Live events arrive in the order of their writes: once the next ingested reading is here, a
    // published backfill would have been too.
    await ingest('2026-01-15T11:02:00Z', 9);
    await live.until((seen) => seen.length >= 2);
    expect(live.seen.map((r) => r.value)).toEqual([7, 9]);
    expect(await rows()).toHaveLength(3);
  });
});

describe('readingsRepository.ingest: one transaction', () => {
  it('When one row of a batch fails in the database, then no reading, roll-up or latest value of the batch is kept', async () => {
    await app.repos.readings.ingest([{ metricPk: w.metrics[0].pk, ts: NOW - 3_600_000, value: 5 }]);
    const before = { rows: await rows(), rollups: await rollups(), latest: await latest() };
    const batch = [
      { metricPk: w.metrics[0].pk, ts: NOW - 60_000, value: 6 },
      { metricPk: 999_999, ts: NOW, value: 7 }, // no such metric: the foreign key fails
    ];
    await expect(app.repos.readings.ingest(batch)).rejects.toThrow(/FOREIGN KEY/i);
    expect({ rows: await rows(), rollups: await rollups(), latest: await latest() }).toEqual(before);
  });

  it('When one batch sends a timestamp twice and out of order, then the table, the roll-up and the latest value all keep the value sent last', async () => {
    const H = Date.parse('2026-01-15T08:00:00Z');
    const pk = w.metrics[0].pk;
    await app.repos.readings.ingest([
      { metricPk: pk, ts: H + 1_200_000, value: 4 },
      { metricPk: pk, ts: H + 600_000, value: 10 },
      { metricPk: pk, ts: H + 1_200_000, value: 6 },
    ]);
    expect(await rows()).toEqual([
      { ts: H + 600_000, value: 10 },
      { ts: H + 1_200_000, value: 6 },
    ]);
    expect(await rollups()).toEqual([
      {
        start: H,
        count: 2,
        sum: 16,
        min: 6,
        max: 10,
        first: 10,
        last: 6,
        firstTs: H + 600_000,
        lastTs: H + 1_200_000,
        deltaIn: 6,
      },
    ]);
    expect(await latest()).toEqual({ ts: H + 1_200_000, value: 6 });
  });

  it('When readings of an hour arrive in pieces and one is replaced, then its roll-up equals one built from all of them', async () => {
    const H = Date.parse('2026-01-15T08:00:00Z');
    const pk = w.metrics[0].pk;
    await app.repos.readings.ingest([
      { metricPk: pk, ts: H + 600_000, value: 10 },
      { metricPk: pk, ts: H + 1_200_000, value: 4 },
    ]);
    await app.repos.readings.ingest([
      { metricPk: pk, ts: H, value: 8 },
      { metricPk: pk, ts: H + 3_000_000, value: 12 },
    ]);
    await app.repos.readings.ingest([{ metricPk: pk, ts: H + 1_200_000, value: 2 }]);
    // 8, 10, 2, 12: a drop from 10 to 2 counts as a reset (+2).
    expect(await rollups()).toEqual([
      {
        start: H,
        count: 4,
        sum: 32,
        min: 2,
        max: 12,
        first: 8,
        last: 12,
        firstTs: H,
        lastTs: H + 3_000_000,
        deltaIn: 2 + 2 + 10,
      },
    ]);
    expect(await latest()).toEqual({ ts: H + 3_000_000, value: 12 });
  });
});
