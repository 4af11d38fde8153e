import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs, loginCookie, PASSWORD } from '../../helpers/app.js';
import { sqlRows } from '../../helpers/sql.js';
import { count, expectInvalid, expectProblem, type World } from './support.js';

let app: App;
let w: World;
/** The technician's session: only a signed-in session may create tokens. */
let cookie: string;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  cookie = await loginCookie(app, w.technician.email);
});
afterEach(async () => {
  vi.useRealTimers();
  await app.close();
});

const bearer = (token: string, url = '/api/me') =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

const post = (payload: Record<string, unknown>, headers: Record<string, string> = { cookie }) =>
  app.inject({ method: 'POST', url: '/api/me/tokens', headers, payload });

async function createToken(payload: Record<string, unknown> = { name: 'script' }) {
  const res = await post(payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; name: string; prefix: string; token: string; expiresAt: string | null };
}

describe('POST /api/me/tokens', () => {
  it('When a user creates a token, then it gets 201 with the secret once, and the secret works as a Bearer token', async () => {
    const created = await createToken();
    expect(created).toMatchObject({ name: 'script' });
    expect(created.token).toMatch(/^sw_/);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    const res = await bearer(created.token, `/api/sites/${w.site.id}/devices`);
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((d: { id: string }) => d.id)).toEqual([w.device.id]);
  });

  it('When a token is created, then the answer that carries the secret says Cache-Control: no-store', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/me/tokens',
      headers: { cookie },
      payload: { name: 'cached?' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('When a token is created, then the database holds only its hash, never the secret', async () => {
    const { token } = await createToken();
    const rows = await sqlRows(app, 'SELECT * FROM api_tokens');
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(token.slice(8));
  });

  it('When the name is missing or the expiry is not a whole number of days, then it gets 422 and no token', async () => {
    expectInvalid(await post({}), '/name');
    expectInvalid(await post({ name: 'x', expiresInDays: 0 }), '/expiresInDays');
    expectInvalid(await post({ name: 'x', expiresInDays: '7' }), '/expiresInDays');
    const list = await injectAs(app, w.technician, { method: 'GET', url: '/api/me/tokens' });
    expect(list.json().items.map((t: { name: string }) => t.name)).toEqual(['test']);
  });

  it('When a bearer token asks for another token, then it gets 403 SESSION_REQUIRED and no token is made', async () => {
    const { token } = await createToken();
    const before = await count(app, 'api_tokens');
    for (const bearer of [w.technician.token, token]) {
      const res = await post({ name: 'successor', expiresInDays: 3650 }, { authorization: `Bearer ${bearer}` });
      expectProblem(res, 403, 'SESSION_REQUIRED');
      expect(res.json().detail).toMatch(/signed-in session/);
    }
    expect(await count(app, 'api_tokens')).toBe(before);
  });

  it('When a token is asked for without an expiry, then it expires after the longest lifetime (365 days by default)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const { expiresAt } = await createToken({ name: 'forever?' });
    expect(Date.parse(expiresAt!)).toBe(t0 + 365 * 86_400_000);
  });

  it('When a token is asked for beyond the longest lifetime, then it gets 422 naming expiresInDays and its limit, and no token', async () => {
    const before = await count(app, 'api_tokens');
    const res = await post({ name: 'ten years', expiresInDays: 3650 });
    expectInvalid(res, '/expiresInDays');
    expect(res.json().errors).toEqual([{ path: '/expiresInDays', message: 'must be at most 365' }]);
    expect(await count(app, 'api_tokens')).toBe(before);
    expect((await createToken({ name: 'a year', expiresInDays: 365 })).expiresAt).not.toBeNull();
  });

  it('When TOKEN_MAX_DAYS is 30, then 31 days gets 422 and 30 days or none gets a token of 30 days', async () => {
    await app.close();
    app = await buildTestApp({ tokenMaxDays: 30 });
    w = await createWorld(app);
    cookie = await loginCookie(app, w.technician.email);
    expect((await post({ name: 'x', expiresInDays: 31 })).json().errors).toEqual([
      { path: '/expiresInDays', message: 'must be at most 30' },
    ]);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    expect(Date.parse((await createToken({ name: 'y', expiresInDays: 30 })).expiresAt!)).toBe(t0 + 30 * 86_400_000);
    expect(Date.parse((await createToken({ name: 'z' })).expiresAt!)).toBe(t0 + 30 * 86_400_000);
  });

  it('When a user creates and revokes a token, then the audit trail records both, by that user, without the secret or its hash', async () => {
    const { id, token } = await createToken({ name: 'audited' });
    expect((await app.inject({ method: 'DELETE', url: `/api/me/tokens/${id}`, headers: { cookie } })).statusCode).toBe(
      204,
    );
    const rows = await sqlRows<{ actor_id: string; action: string; before: string | null; after: string | null }>(
      app,
      "SELECT * FROM audit_log WHERE entity_type = 'token' AND entity_id = ? ORDER BY id",
      [id],
    );
    expect(rows.map((r) => [r.action, r.actor_id])).toEqual([
      ['create', w.technician.id],
      ['delete', w.technician.id],
    ]);
    expect(JSON.parse(rows[0].after!)).toMatchObject({ userId: w.technician.id, name: 'audited' });
    const text = JSON.stringify(rows);
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe('GET /api/me/tokens', () => {
  it('When a user lists tokens, then it sees its own without any secret or hash', async () => {
    const { token, id } = await createToken();
    const res = await injectAs(app, w.technician, { method: 'GET', url: '/api/me/tokens' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Record<string, unknown>[];
    expect(items.map((t) => t.id)).toContain(id);
    expect(res.body).not.toContain(token);
    for (const t of items)
      expect(Object.keys(t).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix']);
    const other = await injectAs(app, w.viewer, { method: 'GET', url: '/api/me/tokens' });
    expect(other.json().items.map((t: { id: string }) => t.id)).not.toContain(id);
  });
});

describe('DELETE /api/me/tokens/:tokenId', () => {
  it('When a user revokes a token, then it gets 204 and the token gets 401', async () => {
    const { id, token } = await createToken();
    expect((await bearer(token)).statusCode).toBe(200);
    const res = await injectAs(app, w.technician, { method: 'DELETE', url: `/api/me/tokens/${id}` });
    expect(res.statusCode).toBe(204);
    expectProblem(await bearer(token), 401, 'UNAUTHENTICATED');
  });

  it("When a user tries to revoke someone else's token, then it gets 404 and the token keeps working", async () => {
    const { id, token } = await createToken();
    const res = await injectAs(app, w.viewer, { method: 'DELETE', url: `/api/me/tokens/${id}` });
    expectProblem(res, 404, 'TOKEN_NOT_FOUND');
    expect((await bearer(token)).statusCode).toBe(200);
  });
});

describe('Bearer authentication', () => {
  it('When a token with expiresInDays: 1 is used a day later, then it gets 401; a moment before, 200', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const { token, expiresAt } = await createToken({ name: 'short', expiresInDays: 1 });
    expect(Date.parse(expiresAt!)).toBe(t0 + 86_400_000);
    vi.setSystemTime(t0 + 86_400_000 - 1000);
    expect((await bearer(token)).statusCode).toBe(200);
    vi.setSystemTime(t0 + 86_400_000);
    expectProblem(await bearer(token), 401, 'UNAUTHENTICATED');
  });

  it('When the Authorization header is garbage, unprefixed, empty or another scheme, then it gets 401 (never anonymous access or a 500)', async () => {
    for (const header of ['Bearer sw_thisisnotarealtoken', 'Bearer abcdef', 'Bearer ', 'Basic dXNlcjpwYXNz']) {
      const res = await app.inject({ method: 'GET', url: '/api/sites', headers: { authorization: header } });
      expectProblem(res, 401, 'UNAUTHENTICATED');
    }
  });

  it('When a bad bearer token comes with a valid session cookie, then it still gets 401 (no fall-back)', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: w.viewer.email, password: PASSWORD },
    });
    const cookie = login.cookies.find((c) => c.name === 'sitewatt.sid')!;
    const res = await app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { authorization: 'Bearer sw_garbage', cookie: `${cookie.name}=${cookie.value}` },
    });
    expectProblem(res, 401, 'UNAUTHENTICATED');
  });

  it('When a token is used, then lastUsedAt is recorded', async () => {
    const { token, id } = await createToken();
    await bearer(token);
    const list = await injectAs(app, w.technician, { method: 'GET', url: '/api/me/tokens' });
    const mine = list.json().items.find((t: { id: string }) => t.id === id);
    expect(mine.lastUsedAt).toEqual(expect.any(String));
  });
});
