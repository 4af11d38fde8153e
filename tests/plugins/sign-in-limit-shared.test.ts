// The sign-in's per-address limit (30 attempts a minute) counts across the nodes of a cluster on
// PostgreSQL: attempts made on node A count on node B. On SQLite there is one node.
import { afterEach, describe, expect, it } from 'vitest';
import { LOGIN_RATE_LIMIT } from '../../src/plugins/external/rate-limit.js';
import { buildTestApp, onPostgres, sharedDatabase } from '../helpers/app.js';
import { sqlOf } from '../helpers/sql.js';
import type { App } from '../../src/app.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const attempt = (app: App, i: number) =>
  app.inject({
    method: 'POST',
    url: '/api/auth/login',
    // A new account each time, so the per-account throttle never answers first.
    payload: { email: `nobody-${i}@example.com`, password: 'wrong password' },
  });

describe.skipIf(!onPostgres)('the sign-in limit per address across nodes', () => {
  it('When an address spends its sign-in attempts on node A, then node B refuses its next one with 429', async () => {
    const shared = await sharedDatabase();
    cleanups.push(shared.close);
    const a = await buildTestApp(shared.overrides);
    cleanups.push(() => a.close());
    const b = await buildTestApp(shared.overrides);
    cleanups.push(() => b.close());

    // The shared counts run in windows on the minute: start early in one, so all 31 fall in it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 50));
    // One after another: at once, some would meet the full queue of password checks (also a 429).
    for (let i = 0; i < LOGIN_RATE_LIMIT.max; i++) expect((await attempt(a, i)).statusCode).toBe(401);
    const onB = await attempt(b, LOGIN_RATE_LIMIT.max);
    expect(onB.statusCode).toBe(429);
    expect(Number(onB.headers['retry-after'])).toBeGreaterThan(0);
    // Counted per route, as a single node's limiter does: the page's sign-in has its own budget.
    const keys = await sqlOf(b).all<{ key: string }>("SELECT key FROM rate_limit_counts WHERE policy = 'sign-in'");
    expect(keys.map((k) => k.key)).toEqual([expect.stringContaining('POST /api/auth/login')]);
  }, 90_000);
});
