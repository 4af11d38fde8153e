// Request budgets on every route (src/plugins/app/rate-limits.ts): per user, per address without one,
// probes apart, files exempt; RateLimit headers (draft-ietf-httpapi-ratelimit-headers-10) and 429 problems.
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { MemoryRateLimitStore } from '../../src/services/rate-limits.js';
import { buildTestApp, createUser, createWorld, injectAs, loginCookie, PASSWORD } from '../helpers/app.js';
import { expectProblem } from '../routes/api/support.js';

let app: App | undefined;
afterEach(() => app?.close());

async function appWith(rateLimit: Partial<Config['rateLimit']>) {
  app = await buildTestApp({ rateLimit: { perPrincipal: 1_000, perAddress: 1_000, windowSeconds: 60, ...rateLimit } });
  return app;
}

const budget = (header: string | string[] | number | undefined) => {
  const m = /^"([a-z]+)";r=(\d+);t=(\d+)$/.exec(String(header));
  if (!m) throw new Error(`not a RateLimit field: ${String(header)}`);
  return { policy: m[1], remaining: Number(m[2]), reset: Number(m[3]) };
};

describe('RateLimit and RateLimit-Policy headers', () => {
  it('When a user calls the API, then each answer states the "default" policy and one request less left in it', async () => {
    const a = await appWith({ perPrincipal: 50, windowSeconds: 30 });
    const w = await createWorld(a);
    const first = await injectAs(a, w.viewer, { method: 'GET', url: '/api/me' });
    const second = await injectAs(a, w.viewer, { method: 'GET', url: `/api/metrics/${w.metrics[0].id}` });
    expect(first.headers['ratelimit-policy']).toBe('"default";q=50;w=30');
    expect(budget(first.headers.ratelimit)).toMatchObject({ policy: 'default', remaining: 49 });
    expect(budget(first.headers.ratelimit).reset).toBeGreaterThanOrEqual(1);
    expect(budget(first.headers.ratelimit).reset).toBeLessThanOrEqual(30);
    expect(budget(second.headers.ratelimit)).toMatchObject({ policy: 'default', remaining: 48 });
    const head = await injectAs(a, w.viewer, { method: 'HEAD', url: '/api/me' });
    expect(budget(head.headers.ratelimit)).toMatchObject({ policy: 'default', remaining: 47 });
  });

  it('When nobody is signed in, then pages and the API count the address ("anonymous"), probes apart ("health"), files not at all', async () => {
    const a = await appWith({ perAddress: 20 });
    const login = await a.inject({ method: 'GET', url: '/login' });
    expect(login.headers['ratelimit-policy']).toBe('"anonymous";q=20;w=60');
    const api = await a.inject({ method: 'GET', url: '/api/me' });
    expectProblem(api, 401, 'UNAUTHENTICATED');
    expect(budget(api.headers.ratelimit)).toMatchObject({ policy: 'anonymous', remaining: 18 });
    const health = await a.inject({ method: 'GET', url: '/healthz' });
    expect(health.headers['ratelimit-policy']).toBe('"health";q=200;w=60');
    for (const url of ['/assets/app.css', '/assets/vendor/htmx/htmx.min.js', '/docs/static/swagger-ui.css']) {
      const file = await a.inject({ method: 'GET', url });
      expect(file.statusCode, url).toBe(200);
      expect(file.headers.ratelimit, url).toBeUndefined();
    }
  });
});

describe('429 over the quota', () => {
  it('When one user spends the quota, then the next request is 429 problem+json with Retry-After, and another user is unaffected', async () => {
    const a = await appWith({ perPrincipal: 3 });
    const w = await createWorld(a);
    for (let i = 0; i < 3; i++)
      expect((await injectAs(a, w.viewer, { method: 'GET', url: '/api/me' })).statusCode).toBe(200);
    const refused = await injectAs(a, w.viewer, { method: 'GET', url: '/api/me' });
    const problem = expectProblem(refused, 429, 'RATE_LIMITED');
    expect(problem.detail).toMatch(/at most 3 every 60 seconds per user; retry in \d+ seconds/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(budget(refused.headers.ratelimit)).toMatchObject({ remaining: 0, reset: retryAfter });
    const other = await injectAs(a, w.technician, { method: 'GET', url: '/api/me' });
    expect(other.statusCode).toBe(200);
    expect(budget(other.headers.ratelimit).remaining).toBe(2);
  });

  it("When a user's session and tokens are used, then they share one budget (a new token does not add to it)", async () => {
    const a = await appWith({ perPrincipal: 3 });
    const user = await createUser(a);
    const cookie = await loginCookie(a, user.email, PASSWORD);
    expect((await a.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode).toBe(200);
    const made = await a.inject({
      method: 'POST',
      url: '/api/me/tokens',
      headers: { cookie },
      payload: { name: 'second' },
    });
    expect(made.statusCode).toBe(201);
    const second = { ...user, token: made.json().token as string };
    expect((await injectAs(a, second, { method: 'GET', url: '/api/me' })).statusCode).toBe(200);
    expectProblem(await injectAs(a, user, { method: 'GET', url: '/api/me' }), 429, 'RATE_LIMITED');
    expectProblem(await a.inject({ method: 'GET', url: '/api/me', headers: { cookie } }), 429, 'RATE_LIMITED');
  });

  it('When an address without a user spends its quota, then it gets 429 (invalid tokens counted too), while a user from that address is unaffected', async () => {
    const a = await appWith({ perAddress: 3 });
    const w = await createWorld(a);
    expect((await a.inject({ method: 'GET', url: '/api/me' })).statusCode).toBe(401);
    const bad = { authorization: 'Bearer sw_not-a-real-token' };
    expect((await a.inject({ method: 'GET', url: '/api/me', headers: bad })).statusCode).toBe(401);
    expect((await a.inject({ method: 'GET', url: '/api/me', headers: bad })).statusCode).toBe(401);
    const refused = await a.inject({ method: 'GET', url: '/api/me', headers: bad });
    expectProblem(refused, 429, 'RATE_LIMITED');
    expect(refused.headers['retry-after']).toBeDefined();
    expectProblem(await a.inject({ method: 'GET', url: '/api/sites/nope' }), 429, 'RATE_LIMITED');
    expect((await injectAs(a, w.viewer, { method: 'GET', url: '/api/me' })).statusCode).toBe(200);
    // The pages answer the same refusal as a page.
    const page = await a.inject({ method: 'GET', url: '/login' });
    expect(page.statusCode).toBe(429);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['retry-after']).toBeDefined();
  });
});

describe('MemoryRateLimitStore', () => {
  it('When requests are counted, then each key counts in its window, and a new window starts over', () => {
    const store = new MemoryRateLimitStore();
    expect([store.hit('a', 0), store.hit('a', 0), store.hit('b', 0)]).toEqual([1, 2, 1]);
    expect([store.hit('a', 60_000), store.hit('b', 60_000)]).toEqual([1, 1]);
  });

  it('When more keys than the bound arrive in one window, then the counts start over instead of growing', () => {
    const store = new MemoryRateLimitStore(3);
    for (const k of ['a', 'b', 'c']) store.hit(k, 0);
    expect(store.hit('a', 0)).toBe(2);
    expect(store.hit('d', 0)).toBe(1); // the fourth key: the window's counts were dropped
    expect(store.hit('a', 0)).toBe(1);
  });
});

describe('Rate-limit configuration', () => {
  it('When nothing is set, then 600 requests a minute per user and per address apply, in production too', () => {
    const expected = { perPrincipal: 600, perAddress: 600, windowSeconds: 60 };
    expect(loadConfig({ DATABASE_PATH: ':memory:' }).rateLimit).toEqual(expected);
    expect(
      loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32), DATABASE_PATH: ':memory:' }).rateLimit,
    ).toEqual(expected);
  });

  it('When RATE_LIMIT, RATE_LIMIT_ANONYMOUS and RATE_LIMIT_WINDOW_SECONDS are set, then they are used; 0 or words are refused', () => {
    const env = {
      DATABASE_PATH: ':memory:',
      RATE_LIMIT: '1200',
      RATE_LIMIT_ANONYMOUS: '100',
      RATE_LIMIT_WINDOW_SECONDS: '10',
    };
    expect(loadConfig(env).rateLimit).toEqual({ perPrincipal: 1200, perAddress: 100, windowSeconds: 10 });
    expect(() => loadConfig({ ...env, RATE_LIMIT: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, RATE_LIMIT_ANONYMOUS: 'many' })).toThrow(/RATE_LIMIT_ANONYMOUS/);
    expect(() => loadConfig({ ...env, RATE_LIMIT_WINDOW_SECONDS: '-5' })).toThrow(/RATE_LIMIT_WINDOW_SECONDS/);
  });
});
