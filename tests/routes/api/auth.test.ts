import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs, loginCookie, PASSWORD } from '../../helpers/app.js';
import { sqlRow } from '../../helpers/sql.js';
import { ApiSessions } from '../../../src/plugins/external/session.js';
import { signIn } from '../../helpers/pages.js';
import { count, expectProblem, type World } from './support.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(async () => {
  vi.useRealTimers();
  await app.close();
});

const login = (email: string, password: string, cookie?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password },
    headers: cookie ? { cookie } : {},
  });
const me = (cookie: string) => app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
const sessionCookie = (res: Awaited<ReturnType<typeof login>>) => res.cookies.find((c) => c.name === 'sitewatt.sid');

describe('POST /api/auth/login', () => {
  it('When a user signs in with the right password, then it gets 200 with the user and an HttpOnly, SameSite=Lax session cookie', async () => {
    const res = await login(w.technician.email, PASSWORD);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      user: expect.objectContaining({ id: w.technician.id, email: w.technician.email, isAdmin: false, active: true }),
    });
    expect(res.body).not.toMatch(/argon2|passwordHash/i);
    const cookie = sessionCookie(res);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect((await me(`sitewatt.sid=${cookie!.value}`)).json().id).toBe(w.technician.id);
  });

  it('When the email is typed with other case and spaces, then it still signs in', async () => {
    const res = await login(`  ${w.viewer.email.toUpperCase()} `, PASSWORD);
    expect(res.statusCode).toBe(200);
  });

  it('When the password is wrong, the email unknown or the account deactivated, then all three get the same 401 and no cookie', async () => {
    await app.repos.users.update(w.viewer.id, { active: false }, null);
    const wrong = await login(w.technician.email, 'not the password');
    const unknown = await login('nobody@example.com', PASSWORD);
    const inactive = await login(w.viewer.email, PASSWORD);
    expectProblem(wrong, 401, 'INVALID_CREDENTIALS');
    expect(unknown.body).toBe(wrong.body);
    expect(inactive.body).toBe(wrong.body);
    for (const res of [wrong, unknown, inactive]) expect(sessionCookie(res)).toBeUndefined();
    expect(await count(app, 'sessions')).toBe(0);
  });

  it('When someone signs in with an existing session cookie, then the session id changes and the old one stops working', async () => {
    const first = await loginCookie(app, w.technician.email);
    const second = await login(w.technician.email, PASSWORD, first);
    const next = sessionCookie(second)!;
    expect(`sitewatt.sid=${next.value}`).not.toBe(first);
    expect((await me(first)).statusCode).toBe(401);
    expect((await me(`sitewatt.sid=${next.value}`)).statusCode).toBe(200);
  });
});

describe('POST /api/auth/logout', () => {
  it('When a signed-in user logs out, then it gets 204, the session row is gone and the old cookie gets 401', async () => {
    const cookie = await loginCookie(app, w.technician.email);
    const res = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie }, payload: {} });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await count(app, 'sessions')).toBe(0);
    expectProblem(await me(cookie), 401, 'UNAUTHENTICATED');
  });

  it('When another site posts a sign-out with the cookie (text/plain, a form, or no body), then it is refused (415 or 422) and the session stays', async () => {
    const cookie = await loginCookie(app, w.technician.email);
    for (const [type, payload] of [
      ['text/plain', '{}'],
      ['application/x-www-form-urlencoded', 'a=b'],
      [undefined, undefined],
    ] as const) {
      const headers: Record<string, string> = { cookie, ...(type ? { 'content-type': type } : {}) };
      const res = await app.inject({ method: 'POST', url: '/api/auth/logout', headers, payload });
      expect(res.statusCode, type).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, type).toBeLessThan(500);
      expect((await me(cookie)).statusCode, type).toBe(200);
    }
    expect(await count(app, 'sessions')).toBe(1);
  });
});

describe('GET /api/me', () => {
  it('When a technician asks, then it gets itself with its memberships as siteId, siteName and role', async () => {
    const res = await injectAs(app, w.technician, { method: 'GET', url: '/api/me' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: w.technician.id, email: w.technician.email, isAdmin: false });
    expect(res.json().memberships).toEqual([{ siteId: w.site.id, siteName: 'Main Site', role: 'technician' }]);
  });

  it('When nobody is signed in, then it gets 401 with a WWW-Authenticate challenge', async () => {
    const res = await injectAs(app, null, { method: 'GET', url: '/api/me' });
    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('When the cookie is forged, then it gets 401', async () => {
    expectProblem(await me('sitewatt.sid=forged.value'), 401, 'UNAUTHENTICATED');
  });
});

describe('Session lifetime', () => {
  const MIN = 60_000;

  it('When a session is used every 29 minutes, then it stays alive; after 31 idle minutes it gets 401', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const cookie = await loginCookie(app, w.technician.email);
    for (const minutes of [29, 58, 87]) {
      vi.setSystemTime(t0 + minutes * MIN);
      expect((await me(cookie)).statusCode, `after ${minutes} minutes`).toBe(200);
    }
    vi.setSystemTime(t0 + (87 + 31) * MIN);
    expectProblem(await me(cookie), 401, 'UNAUTHENTICATED');
  });

  it('When a session is kept busy for 12 hours after sign-in, then it still ends (absolute lifetime)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const cookie = await loginCookie(app, w.technician.email);
    for (let minutes = 20; minutes < 12 * 60; minutes += 20) {
      vi.setSystemTime(t0 + minutes * MIN);
      expect((await me(cookie)).statusCode, `after ${minutes} minutes`).toBe(200);
    }
    vi.setSystemTime(t0 + 12 * 60 * MIN + 1);
    expectProblem(await me(cookie), 401, 'UNAUTHENTICATED');
  });
});

describe('Deactivated users', () => {
  it('When an admin deactivates a signed-in user, then their session and their token get 401 and they cannot sign in again', async () => {
    const cookie = await loginCookie(app, w.technician.email);
    const res = await injectAs(app, w.admin, {
      method: 'PATCH',
      url: `/api/users/${w.technician.id}`,
      payload: { active: false },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().active).toBe(false);
    expectProblem(await me(cookie), 401, 'UNAUTHENTICATED');
    expectProblem(
      await injectAs(app, w.technician, { method: 'GET', url: `/api/sites/${w.site.id}` }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(await login(w.technician.email, PASSWORD), 401, 'INVALID_CREDENTIALS');
  });

  it('When a deactivated user is reactivated, then the same password signs in again', async () => {
    await injectAs(app, w.admin, { method: 'PATCH', url: `/api/users/${w.viewer.id}`, payload: { active: false } });
    await injectAs(app, w.admin, { method: 'PATCH', url: `/api/users/${w.viewer.id}`, payload: { active: true } });
    expect((await login(w.viewer.email, PASSWORD)).statusCode).toBe(200);
  });
});

describe('Anonymous requests with bad input', () => {
  it('When nobody is signed in and the body is invalid, then the answer is 401, not a validation error', async () => {
    const app = await buildTestApp();
    try {
      const res = await app.inject({ method: 'POST', url: '/api/sites', payload: { nonsense: true } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('UNAUTHENTICATED');
      const query = await app.inject({ method: 'GET', url: '/api/sites?limit=0' });
      expect(query.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('Session idle expiry with activity', () => {
  afterEach(() => vi.useRealTimers());

  it('When a signed-in user keeps making requests, then the idle expiry moves with them; after 30 quiet minutes it ends', async () => {
    const app = await buildTestApp();
    try {
      const w = await createWorld(app);
      const t0 = Date.now();
      vi.useFakeTimers({ toFake: ['Date'], now: t0 });
      const cookie = await loginCookie(app, w.viewer.email);
      const me = () => app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
      vi.setSystemTime(t0 + 20 * 60_000);
      expect((await me()).statusCode).toBe(200);
      vi.setSystemTime(t0 + 45 * 60_000); // 25 minutes after the last request
      expect((await me()).statusCode).toBe(200);
      vi.setSystemTime(t0 + 45 * 60_000 + 31 * 60_000);
      expect((await me()).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});

// The API reads the session cookie itself (app.apiSessions), without @fastify/session; pages and
// /api/auth run @fastify/session on the same rows (src/plugins/external/session.ts).
describe('The session cookie on the API', () => {
  const MIN = 60_000;
  const row = async (cookie: string) => {
    const sid = decodeURIComponent(cookie.slice('sitewatt.sid='.length)).split('.')[0];
    return (await sqlRow<{ data: string; expiresAt: number }>(
      app,
      'SELECT data, expires_at AS "expiresAt" FROM sessions WHERE sid = ?',
      [sid],
    ))!;
  };

  it('When a signed-in client asks again within a minute, then no cookie is re-sent; after a minute the same cookie comes back with the idle expiry moved, in the row too', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const cookie = await loginCookie(app, w.technician.email);
    expect(sessionCookie(await me(cookie))).toBeDefined(); // first use after sign-in touches
    vi.setSystemTime(t0 + 30_000);
    const soon = await me(cookie);
    expect(soon.statusCode).toBe(200);
    expect(soon.headers['set-cookie']).toBeUndefined();
    const before = (await row(cookie)).expiresAt;

    vi.setSystemTime(t0 + 5 * MIN);
    const later = await me(cookie);
    expect(later.statusCode).toBe(200);
    const sent = sessionCookie(later)!;
    expect(`sitewatt.sid=${sent.value}`).toBe(cookie);
    expect(sent).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(sent.maxAge).toBeUndefined();
    expect(sent.expires!.getTime()).toBe(Math.floor((t0 + 5 * MIN + 30 * MIN) / 1000) * 1000);
    expect((await row(cookie)).expiresAt).toBe(t0 + 5 * MIN + 30 * MIN);
    expect((await row(cookie)).expiresAt).toBeGreaterThan(before);
    expect(await count(app, 'sessions')).toBe(1);
  });

  it('When a session from the sign-in page is used on the API, then the API knows the user, keeps the session alive for the pages, and the page forms still carry a valid CSRF token', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const browser = await signIn(app, w.technician.email);
    vi.setSystemTime(t0 + 25 * MIN);
    const res = await me(browser.cookie);
    expect(res.json().id).toBe(w.technician.id);
    expect(JSON.parse((await row(browser.cookie)).data)).toMatchObject({
      userId: w.technician.id,
      _csrf: expect.any(String),
    });

    vi.setSystemTime(t0 + 50 * MIN); // 50 minutes after the page's last touch, 25 after the API's
    const page = await browser.get('/sites');
    expect(page.statusCode).toBe(200);
    const out = await browser.post('/logout', {});
    expect(out.statusCode).toBe(303);
    expect(await count(app, 'sessions')).toBe(0);
  });

  it('When the cookie is Secure and a request came over plain http, then the API moves nothing and sends no cookie, as @fastify/session does', async () => {
    const cookie = await loginCookie(app, w.technician.email);
    const session = (await app.apiSessions.read(decodeURIComponent(cookie.slice('sitewatt.sid='.length))))!;
    const before = await row(cookie);
    const secure = new ApiSessions('s'.repeat(32), app.repos.sessions, true);
    expect(await secure.touch(session, Date.now() + 5 * MIN, false)).toBeNull();
    expect(await row(cookie)).toEqual(before);
    const sent = await secure.touch(session, Date.now() + 5 * MIN, true);
    expect(sent).toMatch(/^sitewatt\.sid=[^;]+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    expect((await row(cookie)).expiresAt).toBeGreaterThan(before.expiresAt);
  });

  it('When health checks, the OpenAPI document or assets are fetched with a session cookie, then they neither touch nor start a session', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const cookie = await loginCookie(app, w.technician.email);
    const before = await row(cookie);
    vi.setSystemTime(t0 + 5 * MIN); // a signed-in request would touch the session now
    for (const url of ['/healthz', '/openapi.json', '/assets/app.js']) {
      const res = await app.inject({ url, headers: { cookie } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['set-cookie'], url).toBeUndefined();
    }
    expect(await row(cookie)).toEqual(before);
    expect((await app.inject({ url: '/healthz' })).headers['set-cookie']).toBeUndefined();
    expect(await count(app, 'sessions')).toBe(1);
  });
});

describe('The session cookie on the API, against sign-out and other writers', () => {
  const MIN = 60_000;
  const sidOf = (cookie: string) => decodeURIComponent(cookie.slice('sitewatt.sid='.length));
  const data = async (cookie: string) => {
    const sid = sidOf(cookie).split('.')[0];
    const row = await sqlRow<{ data: string }>(app, 'SELECT data FROM sessions WHERE sid = ?', [sid]);
    return row ? (JSON.parse(row.data) as Record<string, unknown>) : undefined;
  };

  it('When a session is signed out between the API reading it and touching it, then the touch does not bring it back', async () => {
    const cookie = await loginCookie(app, w.technician.email);
    const session = (await app.apiSessions.read(sidOf(cookie)))!;
    await app.repos.sessions.destroy(session.sid);
    expect(await app.apiSessions.touch(session, Date.now() + 5 * MIN, false)).toBeNull();
    expect(await count(app, 'sessions')).toBe(0);
  });

  it('When a page saves the session between the API reading it and touching it, then the touch keeps what the page saved', async () => {
    const cookie = await loginCookie(app, w.technician.email);
    const session = (await app.apiSessions.read(sidOf(cookie)))!;
    const saved = { ...session.data, _csrf: 'saved-by-a-page' };
    await app.repos.sessions.set(session.sid, JSON.stringify(saved), w.technician.id, Date.now() + 30 * MIN);
    const now = Date.now() + 5 * MIN;
    expect(await app.apiSessions.touch(session, now, false)).not.toBeNull();
    expect(await data(cookie)).toMatchObject({
      _csrf: 'saved-by-a-page',
      touchedAt: now,
      cookie: { expires: new Date(now + 30 * MIN).toISOString() },
    });
  });

  it('When a page request that began before a password reset ends after it, then its save does not bring the session back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const browser = await signIn(app, w.viewer.email);
    vi.setSystemTime(Date.now() + 2 * MIN); // so the page request touches, and saves, its session
    const body = new PassThrough();
    const slow = app.inject({
      method: 'POST',
      url: '/account/tokens',
      headers: { cookie: browser.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: body as never,
    });
    await new Promise((r) => setTimeout(r, 50));
    const reset = await injectAs(app, w.admin, {
      method: 'PATCH',
      url: `/api/users/${w.viewer.id}`,
      payload: { password: 'another long password 123' },
    });
    expect(reset.statusCode).toBe(200);
    expect(await count(app, 'sessions')).toBe(0);
    body.end(`_csrf=${encodeURIComponent(browser.csrf)}&name=late`);
    await slow;
    expect(await count(app, 'sessions')).toBe(0);
    expectProblem(await me(browser.cookie), 401, 'UNAUTHENTICATED');
    expect((await browser.get('/sites')).statusCode).toBe(303);
  });

  it('When a page saves a session it read, then the row holds what the session holds, not how it was read', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const browser = await signIn(app, w.viewer.email);
    vi.setSystemTime(Date.now() + 2 * MIN); // so the page touches, and saves, the session it read
    expect((await browser.get('/sites')).statusCode).toBe(200);
    const saved = (await data(browser.cookie))!;
    expect(saved).toMatchObject({ userId: w.viewer.id, _csrf: expect.any(String) });
    expect(saved).not.toHaveProperty('stored');
  });

  it('When the cookie is forged, unknown or ended, then the API answers 401 and tells the browser to forget it', async () => {
    const cookie = await loginCookie(app, w.technician.email);
    await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie }, payload: {} });
    for (const dead of [cookie, 'sitewatt.sid=forged.value']) {
      const res = await me(dead);
      expectProblem(res, 401, 'UNAUTHENTICATED');
      expect(res.headers['set-cookie']).toMatch(
        /^sitewatt\.sid=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT$/,
      );
    }
  });

  it('When an API path is percent-encoded, then the session cookie works there as on the plain path', async () => {
    const cookie = await loginCookie(app, w.technician.email);
    const res = await app.inject({ url: '/%61pi/me', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(w.technician.id);
  });
});
