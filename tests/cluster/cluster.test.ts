// Two real server processes on one fresh PostgreSQL database behave as one: a session made on A
// works on B, a reading ingested on A reaches a stream on B within a second, access changed on A
// applies on B, and when A is killed (-9) B keeps serving with every acknowledged batch stored and
// takes over the simulator. Needs TEST_DATABASE_URL (a database the test may create databases beside).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SITES } from '../../src/seed/demo.js';
import { openStream, sleep, startNode, until, type Node } from './nodes.js';

const URL_ = process.env.TEST_DATABASE_URL;
const title = URL_
  ? 'Two nodes on one PostgreSQL database'
  : 'Two nodes on one PostgreSQL database (skipped: set TEST_DATABASE_URL to run the cluster test)';

describe.skipIf(!URL_)(title, { timeout: 180_000 }, () => {
  const dbName = `sw_cluster_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  let db: pg.Pool;
  let a: Node;
  let b: Node;
  let adminCookie: string;
  let adminToken: string;

  const call = async (node: Node, method: string, path: string, auth: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${node.base}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: res.headers,
    };
  };
  const signIn = async (node: Node, email: string) => {
    const res = await fetch(`${node.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'sitewatt-demo' }),
    });
    expect(res.status).toBe(200);
    return /sitewatt\.sid=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0];
  };
  const holderOf = async (job: string) =>
    (await db.query<{ holder: string }>('SELECT holder FROM job_leases WHERE name = $1 AND expires_at > now()', [job]))
      .rows[0]?.holder ?? null;
  const pidOf = (holder: string | null) => Number(holder?.split(':')[1]);

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: URL_ });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(URL_!);
    url.pathname = `/${dbName}`;
    db = new pg.Pool({ connectionString: url.href, max: 2 });
    // pool.end() resolves before the server has closed each backend, so DROP DATABASE … FORCE at the
    // end can still terminate one and send its client a FATAL nobody listens for any more.
    db.on('error', () => {});
    db.on('connect', (client) => client.on('error', () => {}));
    // Both boot at once on the empty database: migrations and the demo seed must happen once.
    const env = { DEMO: 'true', SIMULATOR: 'on', SIMULATOR_BACKFILL_DAYS: '0', JOB_LEASE_SECONDS: '3' };
    [a, b] = await Promise.all([startNode(url.href, env), startNode(url.href, env)]);
    // A is the node running the simulator (the one to be killed).
    const holder = await until(() => holderOf('simulator'), 20_000);
    if (pidOf(holder) !== a.child.pid) [a, b] = [b, a];
    adminCookie = await signIn(a, 'admin@example.com');
    const token = await call(a, 'POST', '/api/me/tokens', { cookie: adminCookie }, { name: 'cluster test' });
    expect(token.status).toBe(201);
    adminToken = token.body.token as string;
  });

  afterAll(async () => {
    for (const n of [a, b]) n?.child.kill('SIGKILL');
    await db?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin?.end();
  });

  it('When both nodes boot together on an empty database, then the demo fleet is seeded once', async () => {
    const { rows } = await db.query<{ sites: number; users: number }>(
      'SELECT (SELECT count(*)::int FROM sites) AS sites, (SELECT count(*)::int FROM users) AS users',
    );
    expect(rows[0]).toEqual({ sites: DEMO_SITES.length, users: 3 });
  });

  it('When a user signs in on node A, then the session cookie works on node B', async () => {
    const onB = await call(b, 'GET', '/api/sites', { cookie: adminCookie });
    expect(onB.status).toBe(200);
    expect((onB.body.items as unknown[]).length).toBe(DEMO_SITES.length);
  });

  it('When a reading is ingested on A, then a stream open on B gets it within a second; revoked on A, B answers 404 and the stream stops showing the site; signed out on A, the stream on B ends', async () => {
    const viewer = await signIn(a, 'viewer@example.com');
    const sites = (await call(b, 'GET', '/api/sites', { cookie: viewer })).body.items as { id: string; name: string }[];
    const site = sites.find((s) => s.name === 'Rotterdam Harbour Microgrid')!;
    const metrics = (await call(b, 'GET', `/api/sites/${site.id}/latest`, { cookie: viewer })).body.items as {
      id: string;
    }[];
    const metricId = metrics[0].id;
    const sub = await call(
      b,
      'POST',
      '/api/subscriptions',
      { cookie: viewer },
      { name: 'cluster', metricIds: [metricId] },
    );
    expect(sub.status).toBe(201);
    const stream = await openStream(b.base, `/api/subscriptions/${sub.body.id as string}/stream`, { cookie: viewer });
    expect(stream.status).toBe(200);
    await sleep(200);

    const ts = new Date(Date.now() - 60_000).toISOString();
    const sent = Date.now();
    const ingest = await call(
      a,
      'POST',
      '/api/readings',
      { authorization: `Bearer ${adminToken}` },
      {
        readings: [{ metricId, timestamp: ts, value: 123.25 }],
      },
    );
    expect(ingest.status).toBeLessThan(300);
    const ours = (await until(
      () => stream.events.find((e) => e.event === 'reading' && JSON.parse(e.data!).value === 123.25),
      5_000,
    ))!;
    expect(ours.at - sent).toBeLessThan(1_000);

    // A Last-Event-ID seen on B resumes on A without a gap.
    const later = new Date(Date.now() - 30_000).toISOString();
    await call(
      b,
      'POST',
      '/api/readings',
      { authorization: `Bearer ${adminToken}` },
      {
        readings: [{ metricId, timestamp: later, value: 7.5 }],
      },
    );
    const resumed = await openStream(a.base, `/api/subscriptions/${sub.body.id as string}/stream`, {
      cookie: viewer,
      'last-event-id': ours.id!,
    });
    await until(() => resumed.events.find((e) => e.event === 'reading' && JSON.parse(e.data!).value === 7.5), 5_000);
    expect(resumed.events.some((e) => e.event === 'reset')).toBe(false);
    resumed.close();

    // Revoked on A: B's next request is refused and B's stream no longer carries the site.
    const viewerId = ((await call(b, 'GET', '/api/me', { cookie: viewer })).body.id ?? '') as string;
    const removed = await call(a, 'DELETE', `/api/sites/${site.id}/members/${viewerId}`, { cookie: adminCookie });
    expect(removed.status).toBe(204);
    expect((await call(b, 'GET', `/api/sites/${site.id}`, { cookie: viewer })).status).toBe(404);
    await sleep(1_000);
    const before = stream.events.length;
    await call(
      a,
      'POST',
      '/api/readings',
      { authorization: `Bearer ${adminToken}` },
      {
        readings: [{ metricId, timestamp: new Date(Date.now() - 20_000).toISOString(), value: 99 }],
      },
    );
    await sleep(1_500);
    expect(stream.events.slice(before).filter((e) => e.event === 'reading')).toEqual([]);

    // Signed out on A: the stream on B ends (within the re-check period).
    await fetch(`${a.base}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: viewer, 'content-type': 'application/json' },
      body: '{}',
    });
    await Promise.race([stream.ended, sleep(10_000).then(() => Promise.reject(new Error('stream on B did not end')))]);
  });

  it('When node A is killed (-9) during ingestion, then B keeps serving, every acknowledged batch is stored, and the simulator moves to B', async () => {
    const site = ((await call(b, 'GET', '/api/sites', { cookie: adminCookie })).body.items as { id: string }[])[0];
    const metricIds = (
      (await call(b, 'GET', `/api/sites/${site.id}/latest`, { cookie: adminCookie })).body.items as {
        id: string;
      }[]
    )
      .slice(0, 5)
      .map((m) => m.id);
    const t0 = Date.now() - 20 * 86_400_000;
    const acked: number[] = [];
    let n = 0;
    let dead = false;
    const worker = async () => {
      while (!dead) {
        const i = n++;
        const res = await fetch(`${a.base}/api/readings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            readings: metricIds.map((metricId) => ({
              metricId,
              timestamp: new Date(t0 + i * 1000).toISOString(),
              value: i,
            })),
          }),
        }).catch(() => null);
        if (res?.ok) acked.push(i);
      }
    };
    const workers = [worker(), worker()];
    await sleep(1_500);
    a.child.kill('SIGKILL');
    await a.exited;
    dead = true;
    await Promise.all(workers);
    expect(acked.length).toBeGreaterThan(0);

    expect((await call(b, 'GET', '/api/sites', { cookie: adminCookie })).status).toBe(200);
    for (const i of acked) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM readings r JOIN metrics m ON m.pk = r.metric_pk WHERE m.id = ANY($1) AND r.ts = $2`,
        [metricIds, t0 + i * 1000],
      );
      expect(rows[0].n, `acknowledged batch ${i}`).toBe(metricIds.length);
    }
    // The lease (3 s here) expires and B takes the simulator.
    await until(async () => pidOf(await holderOf('simulator')) === b.child.pid, 15_000);
  });
});
