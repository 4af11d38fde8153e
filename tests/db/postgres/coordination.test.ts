// What two nodes (two pools on one schema) share on PostgreSQL: request counts, sign-in failures,
// job leases, open-stream slots, and live batches with access and subscription changes.
import { afterEach, describe, expect, it } from 'vitest';
import {
  leaseHolder,
  pgLeases,
  pgLoginThrottle,
  pgRateLimitStore,
  pgStreamSlots,
} from '../../../src/db/postgres/coordination.js';
import { pruneLive, startLiveFeed } from '../../../src/db/postgres/live-feed.js';
import { runSingleton } from '../../../src/services/leases.js';
import { LiveHub, type LiveReading } from '../../../src/services/live.js';
import { freshSchema, PG_URL, siteWithDevice } from './harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function twoNodes() {
  const s = await freshSchema(2, 3);
  cleanups.push(s.drop);
  return s.dbs.map((d) => d.$client);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: () => T | undefined | null | false, ms = 1_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

describe.skipIf(!PG_URL)('nodes sharing one PostgreSQL database', () => {
  it('When a user sends requests through two nodes, then both count them in one window, per policy', async () => {
    const [a, b] = await twoNodes();
    const onA = pgRateLimitStore(a, 'default');
    const onB = pgRateLimitStore(b, 'default');
    expect(await onA.hit('u1', 60_000)).toBe(1);
    expect(await onB.hit('u1', 60_000)).toBe(2);
    expect(await onA.hit('u1', 60_000)).toBe(3);
    expect(await onB.hit('u1', 120_000)).toBe(1); // the next window starts over
    expect(await pgRateLimitStore(b, 'anonymous').hit('u1', 60_000)).toBe(1);
    // Concurrent hits lose none.
    const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? onA : onB).hit('u2', 60_000)));
    expect(counts.sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('When sign-ins fail on node A, then they count on node B, and a success on B clears them', async () => {
    const [a, b] = await twoNodes();
    const onA = pgLoginThrottle(a, 3, 60_000);
    const onB = pgLoginThrottle(b, 3, 60_000);
    const t0 = 1_000_000;
    await onA.fail('ann@example.com', t0);
    await onB.fail('ann@example.com', t0 + 1_000);
    expect(await onA.retryAfter('ann@example.com', t0 + 2_000)).toBe(0);
    await onA.fail('ann@example.com', t0 + 2_000);
    expect(await onB.retryAfter('ann@example.com', t0 + 3_000)).toBe(57); // until the first failure ages out
    expect(await onB.retryAfter('bob@example.com', t0 + 3_000)).toBe(0);
    expect(await onA.retryAfter('ann@example.com', t0 + 60_001)).toBe(0); // the window slides
    await onB.succeed('ann@example.com');
    expect(await onA.retryAfter('ann@example.com', t0 + 3_000)).toBe(0);
  });

  it('When the node holding a job stops renewing, then another takes it after the lease expires, not before', async () => {
    const [a, b] = await twoNodes();
    expect(await pgLeases(a).acquire('simulator', 'node-a', 400)).toBe(true);
    expect(await pgLeases(b).acquire('simulator', 'node-b', 400)).toBe(false);
    expect(await pgLeases(a).acquire('simulator', 'node-a', 400)).toBe(true); // renewed
    expect(await leaseHolder(b, 'simulator')).toBe('node-a');
    await sleep(500);
    expect(await pgLeases(b).acquire('simulator', 'node-b', 400)).toBe(true);
    expect(await pgLeases(a).acquire('simulator', 'node-a', 400)).toBe(false);
    await pgLeases(b).release('simulator', 'node-b');
    expect(await leaseHolder(a, 'simulator')).toBe(null);
  });

  it('When two nodes run the same singleton job, then one runs it, and the other takes over when the first dies', async () => {
    const [a, b] = await twoNodes();
    const running = new Set<string>();
    const job = (node: string) => ({ start: () => void running.add(node), stop: () => void running.delete(node) });
    const timing = { ttlMs: 600, renewMs: 100 };
    // Node A can die: from then on its lease calls never answer, as a killed process's would not.
    let dead = false;
    const leasesA = pgLeases(a);
    const dying = {
      acquire: (...args: Parameters<typeof leasesA.acquire>) =>
        dead ? new Promise<boolean>(() => {}) : leasesA.acquire(...args),
      release: leasesA.release,
    };
    runSingleton(dying, 'fold', 'node-a', timing, job('node-a'), () => {});
    await until(() => running.has('node-a'));
    const onB = runSingleton(pgLeases(b), 'fold', 'node-b', timing, job('node-b'), () => {});
    cleanups.push(() => onB.stop());
    await sleep(400);
    expect([...running]).toEqual(['node-a']);
    // A dies: its renewals stop without a release (a graceful stop would release at once).
    dead = true;
    const died = Date.now();
    await until(() => running.has('node-b'), 2_000);
    expect(Date.now() - died).toBeGreaterThanOrEqual(300); // not before A's lease expired
    expect(onB.running).toBe(true);
  });

  it('When a user opens streams through two nodes, then the limit counts both, and a closed one frees a slot', async () => {
    const [a, b] = await twoNodes();
    const onA = pgStreamSlots(a, 60_000);
    const onB = pgStreamSlots(b, 60_000);
    cleanups.push(
      () => onA.stop(),
      () => onB.stop(),
    );
    const first = await onA.take('u1', 2);
    expect(first).not.toBeNull();
    expect(await onB.take('u1', 2)).not.toBeNull();
    expect(await onB.take('u1', 2)).toBeNull();
    expect(await onA.take('u2', 2)).not.toBeNull();
    onA.give(first!);
    await until(async () => true);
    await sleep(50);
    expect(await onB.take('u1', 2)).not.toBeNull();
    // At once on both nodes: exactly the free slots are given.
    const taken = await Promise.all([onA.take('u3', 1), onB.take('u3', 1), onA.take('u3', 1)]);
    expect(taken.filter((t) => t !== null)).toHaveLength(1);
  });

  it('When a batch is published on node A, then a stream hub on node B gets it within a second, with the same event ids', async () => {
    const [a, b] = await twoNodes();
    const hubA = new LiveHub();
    const hubB = new LiveHub();
    const feedA = await startLiveFeed({ url: PG_URL!, pool: a, hub: hubA, onError: (e) => console.error(e) });
    const feedB = await startLiveFeed({ url: PG_URL!, pool: b, hub: hubB, onError: (e) => console.error(e) });
    cleanups.push(
      () => feedA.stop(),
      () => feedB.stop(),
    );
    const seenA: LiveReading[] = [];
    const seenB: LiveReading[] = [];
    hubA.onReadings((r) => seenA.push(...r));
    hubB.onReadings((r) => seenB.push(...r));
    const started = Date.now();
    await hubA.publish([
      { metricPk: 1, metricId: 'met_1', ts: 1_000, value: 1.5 },
      { metricPk: 2, metricId: 'met_2', ts: 1_000, value: -2 },
    ]);
    await until(() => seenB.length === 2);
    expect(Date.now() - started).toBeLessThan(1_000);
    await until(() => seenA.length === 2); // the writer gets its own batch the same way
    expect(seenB.map((r) => hubB.eventId(r.seq))).toEqual(seenA.map((r) => hubA.eventId(r.seq)));
    expect(seenB.map((r) => [r.metricId, r.ts, r.value])).toEqual([
      ['met_1', 1_000, 1.5],
      ['met_2', 1_000, -2],
    ]);

    // A client that saw the first reading on A resumes on B without a gap.
    await hubB.publish([{ metricPk: 1, metricId: 'met_1', ts: 2_000, value: 3 }]);
    await until(() => seenA.length === 3);
    const resumed = await hubB.replay(hubA.eventId(seenA[0].seq));
    expect(resumed?.map((r) => r.ts)).toEqual([1_000, 2_000]);
    expect(resumed?.[0].metricId).toBe('met_2');
    // An id from another database or boot cannot be resumed.
    expect(await hubB.replay('00000000-5')).toBeNull();
  });

  it('When a node starts after batches were pruned, then an id older than the table gets a reset, a newer one a replay', async () => {
    const [a, b] = await twoNodes();
    const hubA = new LiveHub();
    const feedA = await startLiveFeed({ url: PG_URL!, pool: a, hub: hubA, onError: (e) => console.error(e) });
    cleanups.push(() => feedA.stop());
    const seen: LiveReading[] = [];
    hubA.onReadings((r) => seen.push(...r));
    await hubA.publish([{ metricPk: 1, metricId: 'met_1', ts: 1_000, value: 1 }]);
    await until(() => seen.length === 1);
    await sleep(20);
    expect(await pruneLive(a, 10)).toBe(1);
    await hubA.publish([{ metricPk: 1, metricId: 'met_1', ts: 2_000, value: 2 }]);
    await until(() => seen.length === 2);
    const hubB = new LiveHub();
    const feedB = await startLiveFeed({ url: PG_URL!, pool: b, hub: hubB, onError: (e) => console.error(e) });
    cleanups.push(() => feedB.stop());
    expect(await hubB.replay(hubA.eventId(seen[0].seq))).toBeNull();
    expect(await hubB.replay(hubA.eventId(seen[1].seq))).toEqual([]);
    expect(hubA.since(hubA.eventId(seen[0].seq))?.map((r) => r.ts)).toEqual([2_000]); // A saw both
  });

  it('When access or a subscription changes through node A, then node B hears of it', async () => {
    const s = await freshSchema(2, 3);
    cleanups.push(s.drop);
    const [a, b] = s.dbs.map((d) => d.$client);
    await siteWithDevice(s.dbs[0]);
    const hubB = new LiveHub();
    const feedB = await startLiveFeed({ url: PG_URL!, pool: b, hub: hubB, onError: (e) => console.error(e) });
    cleanups.push(() => feedB.stop());
    const heard: string[] = [];
    hubB.onAccessChanged((u) => heard.push(`access ${u}`));
    hubB.onSubscriptionChanged((id) => heard.push(`subscription ${id}`));
    const now = Date.now();
    await a.query(
      `INSERT INTO users (id, email, name, password_hash, is_admin, active, created_at, updated_at)
       VALUES ('usr_1', 'ann@example.com', 'Ann', 'x', false, true, $1, $1)`,
      [now],
    );
    await a.query('UPDATE users SET name = $1', ['Anne']);
    await until(() => heard.includes('access null'));
    heard.length = 0;
    await a.query(
      `INSERT INTO subscriptions (id, owner_id, name, created_at, updated_at) VALUES ('sub_1', 'usr_1', 'S', $1, $1)`,
      [now],
    );
    const { rows } = await a.query<{ pk: number }>('SELECT pk FROM metrics LIMIT 1');
    await a.query(`INSERT INTO subscription_metrics (subscription_id, metric_pk, position) VALUES ('sub_1', $1, 0)`, [
      rows[0].pk,
    ]);
    await until(() => heard.includes('subscription sub_1'));
  });
});
