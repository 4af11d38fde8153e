import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { writeBatcher } from '../../src/services/write-batcher.js';
import { buildTestApp, createWorld } from '../helpers/app.js';
import { sqlOf } from '../helpers/sql.js';

let app: App;
beforeEach(async () => {
  app = await buildTestApp();
});
afterEach(async () => {
  await app.close();
});

const T0 = Date.now() - 60_000;
const stored = () => sqlOf(app).all('SELECT ts, value FROM readings ORDER BY ts');

describe('writeBatcher (messages committed together)', () => {
  it('When messages arrive within the window, then one transaction commits them and each learns its count only after', async () => {
    const { metrics } = await createWorld(app);
    // A window long enough that the look at the table (a round trip on PostgreSQL) comes before the commit.
    const batcher = writeBatcher(app.services.readings, { windowMs: 200, maxRows: 1_000 });
    const row = (i: number) => ({ metricPk: metrics[0].pk, metricId: metrics[0].id, ts: T0 + i, value: i });
    const first = batcher.write([row(0)]);
    const second = batcher.write([row(1), row(2)]);
    expect(await stored()).toEqual([]);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(await stored()).toHaveLength(3);
    expect(batcher.stats).toEqual({ batches: 1, messages: 2, fallbacks: 0 });
  });

  it('When one message of a batch cannot be stored, then the others are committed on their own and only it is refused', async () => {
    const { metrics } = await createWorld(app);
    const batcher = writeBatcher(app.services.readings, { windowMs: 20, maxRows: 1_000 });
    const good = (i: number) =>
      batcher.write([{ metricPk: metrics[0].pk, metricId: metrics[0].id, ts: T0 + i, value: i }]);
    // A metric deleted between the check and the commit: its readings break the foreign key.
    const gone = batcher.write([{ metricPk: 987_654, metricId: 'metric_gone', ts: T0, value: 1 }]);
    const results = await Promise.allSettled([good(0), gone, good(1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await stored()).toEqual([
      { ts: T0, value: 0 },
      { ts: T0 + 1, value: 1 },
    ]);
    expect(batcher.stats.fallbacks).toBe(1);
  });

  it('When a batch reaches maxRows, then it is committed without waiting for the window', async () => {
    const { metrics } = await createWorld(app);
    const batcher = writeBatcher(app.services.readings, { windowMs: 60_000, maxRows: 2 });
    const rows = [0, 1].map((i) => ({ metricPk: metrics[0].pk, metricId: metrics[0].id, ts: T0 + i, value: i }));
    expect(await batcher.write(rows)).toBe(2);
  });
});
