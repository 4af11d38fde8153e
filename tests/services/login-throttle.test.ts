import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { REFUSAL_HOLD_MS } from '../../src/plugins/external/rate-limit.js';
import { LoginThrottle } from '../../src/services/login-throttle.js';
import { buildTestApp, createUser, PASSWORD } from '../helpers/app.js';
import { cookiesOf, csrfOf } from '../helpers/pages.js';

describe('LoginThrottle', () => {
  it('When an account has 20 failures within 15 minutes, then it must wait until the oldest ages out, never longer', () => {
    const t = new LoginThrottle(20, 15 * 60_000);
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) t.fail('a@example.com', t0 + i * 1000);
    expect(t.retryAfter('a@example.com', t0 + 20_000)).toBe(15 * 60 - 20);
    expect(t.retryAfter('b@example.com', t0 + 20_000)).toBe(0);
    expect(t.retryAfter('a@example.com', t0 + 15 * 60_000 + 1)).toBe(0);
  });

  it('When the right password comes in before the limit, then the failures are forgotten', () => {
    const t = new LoginThrottle(3, 60_000);
    t.fail('a', 0);
    t.fail('a', 1);
    t.succeed('a');
    t.fail('a', 2);
    expect(t.retryAfter('a', 3)).toBe(0);
  });
});

describe('POST /api/auth/login throttling', () => {
  it('When one account gets 20 wrong passwords, then the 21st attempt (even with the right password) gets 429 with Retry-After', async () => {
    const app: App = await buildTestApp();
    try {
      const user = await createUser(app);
      const attempt = (password: string, ip: string) =>
        app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { email: user.email, password },
          remoteAddress: ip,
        });
      // Spread over addresses so the per-address limit (30/min) is not what stops it.
      for (let i = 0; i < 20; i++) expect((await attempt('wrong password!', `10.0.0.${i}`)).statusCode).toBe(401);
      const started = Date.now();
      const blocked = await attempt(PASSWORD, '10.0.1.1');
      expect(Date.now() - started).toBeGreaterThanOrEqual(REFUSAL_HOLD_MS - 5); // held, like every refused sign-in
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.json().code).toBe('RATE_LIMITED');
    } finally {
      await app.close();
    }
  });

  it('When one address sends 31 sign-in requests within a minute, then the 31st gets 429 problem+json with Retry-After, whatever it carries', async () => {
    const app: App = await buildTestApp();
    try {
      // Bodies that fail validation: the per-address limit counts requests before anything else runs.
      const attempt = () =>
        app.inject({ method: 'POST', url: '/api/auth/login', payload: {}, remoteAddress: '10.9.9.9' });
      for (let i = 0; i < 30; i++) expect((await attempt()).statusCode).toBe(422);
      const blocked = await attempt();
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.json()).toMatchObject({
        status: 429,
        code: 'RATE_LIMITED',
        detail: expect.stringMatching(/^Rate limit exceeded, retry in /),
      });
      expect(blocked.body).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack
      expect(Error.stackTraceLimit).toBeGreaterThan(0); // the stack-less error put the limit back
      const other = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: {},
        remoteAddress: '10.9.9.10',
      });
      expect(other.statusCode).toBe(422);
    } finally {
      await app.close();
    }
  });

  it('When an address is over the limit, then its 429 is held for a second while other requests are answered at once', async () => {
    const app: App = await buildTestApp();
    try {
      const attempt = () =>
        app.inject({ method: 'POST', url: '/api/auth/login', payload: {}, remoteAddress: '10.9.9.9' });
      let started = Date.now();
      for (let i = 0; i < 30; i++) expect((await attempt()).statusCode).toBe(422);
      // 30 refusals of a body are not held: only the limit's 429 is.
      expect(Date.now() - started).toBeLessThan(REFUSAL_HOLD_MS);
      started = Date.now();
      const blocked = attempt().then((res) => ({ res, ms: Date.now() - started }));
      const health = await app.inject({ url: '/healthz' });
      expect(health.statusCode).toBe(200);
      const healthMs = Date.now() - started;
      const { res, ms } = await blocked;
      expect(res.statusCode).toBe(429);
      expect(ms).toBeGreaterThanOrEqual(REFUSAL_HOLD_MS - 5);
      expect(healthMs).toBeLessThan(ms);
    } finally {
      await app.close();
    }
  });

  it('When one address posts the sign-in form 31 times within a minute, then the 31st gets a 429 page, held a second', async () => {
    const app: App = await buildTestApp();
    try {
      const attempt = () =>
        app.inject({
          method: 'POST',
          url: '/login',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'email=a%40b.test&password=x',
          remoteAddress: '10.9.9.9',
        });
      for (let i = 0; i < 30; i++) expect((await attempt()).statusCode).not.toBe(429);
      const started = Date.now();
      const blocked = await attempt();
      expect(Date.now() - started).toBeGreaterThanOrEqual(REFUSAL_HOLD_MS - 5);
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['content-type']).toMatch(/^text\/html/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.body).toContain('Too many requests');
      const other = await app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'email=a%40b.test&password=x',
        remoteAddress: '10.9.9.10',
      });
      expect(other.statusCode).not.toBe(429);
    } finally {
      await app.close();
    }
  });

  it('When one account gets 20 wrong passwords through the form, then the 21st gets a 429 page with Retry-After, held a second', async () => {
    const app: App = await buildTestApp();
    try {
      const user = await createUser(app);
      const page = await app.inject({ url: '/login' });
      const cookie = cookiesOf(page);
      const csrf = csrfOf(page.body);
      const attempt = (password: string, ip: string) =>
        app.inject({
          method: 'POST',
          url: '/login',
          remoteAddress: ip,
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ _csrf: csrf, email: user.email, password }).toString(),
        });
      for (let i = 0; i < 20; i++) expect((await attempt('wrong password!', `10.0.0.${i}`)).statusCode).toBe(401);
      const started = Date.now();
      const blocked = await attempt(PASSWORD, '10.0.1.1');
      expect(Date.now() - started).toBeGreaterThanOrEqual(REFUSAL_HOLD_MS - 5);
      expect(blocked.statusCode).toBe(429);
      expect(blocked.headers['content-type']).toMatch(/^text\/html/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});
