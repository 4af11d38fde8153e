import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createUser, createWorld, injectAs, loginCookie, PASSWORD } from '../../helpers/app.js';
import { sqlRow, sqlRows } from '../../helpers/sql.js';
import { count, expectInvalid, expectProblem, lastAudit, snapshot, type AuditRow, type World } from './support.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const asAdmin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  injectAs(app, w.admin, { method, url, ...(payload ? { payload } : {}) });
const login = (email: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
const me = (cookie: string) => app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });

describe('POST /api/users', () => {
  it('When an admin creates a user, then it gets 201 without any password data, and the user can sign in', async () => {
    const res = await asAdmin('POST', '/api/users', {
      email: 'Ada@Example.com',
      name: ' Ada ',
      password: 'a long password',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ email: 'ada@example.com', name: 'Ada', isAdmin: false, active: true });
    expect(res.headers.location).toBe(`/api/users/${res.json().id}`);
    expect(res.body).not.toMatch(/password|argon/i);
    const stored = (await sqlRow<{ password_hash: string }>(app, 'SELECT password_hash FROM users WHERE id = ?', [
      res.json().id,
    ]))!;
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
    expect((await login('ada@example.com', 'a long password')).statusCode).toBe(200);
  });

  it('When the email is already taken (in any case), then it gets 409 EMAIL_TAKEN and no user is added', async () => {
    const before = await count(app, 'users');
    expectProblem(
      await asAdmin('POST', '/api/users', {
        email: w.viewer.email.toUpperCase(),
        name: 'Twin',
        password: 'a long password',
      }),
      409,
      'EMAIL_TAKEN',
    );
    expect(await count(app, 'users')).toBe(before);
  });

  it('When two requests create the same email at once (hashing runs between the check and the write), then one gets 201 and the other 409, not a 500', async () => {
    const before = await count(app, 'users');
    const both = await Promise.all(
      [1, 2].map((n) =>
        asAdmin('POST', '/api/users', { email: 'twice@example.com', name: `Twice ${n}`, password: 'a long password' }),
      ),
    );
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expectProblem(
      both.find((r) => r.statusCode === 409)!,
      409,
      'EMAIL_TAKEN',
    );
    expect(await count(app, 'users')).toBe(before + 1);
  });

  it('When the password is shorter than 10 characters, then it gets 422', async () => {
    expectInvalid(
      await asAdmin('POST', '/api/users', { email: 'short@example.com', name: 'Short', password: 'short' }),
      '/password',
    );
  });
});

describe('PATCH /api/users/:userId', () => {
  it("When an admin resets a user's password, then their sessions end, the old password fails and the new one works", async () => {
    const cookie = await loginCookie(app, w.viewer.email);
    const res = await asAdmin('PATCH', `/api/users/${w.viewer.id}`, { password: 'a brand new password' });
    expect(res.statusCode).toBe(200);
    expectProblem(await me(cookie), 401, 'UNAUTHENTICATED');
    expectProblem(await login(w.viewer.email, PASSWORD), 401, 'INVALID_CREDENTIALS');
    expect((await login(w.viewer.email, 'a brand new password')).statusCode).toBe(200);
    // The change, then the revocation of the user's tokens that comes with it, in one transaction.
    const rows = await sqlRows<AuditRow>(app, 'SELECT * FROM audit_log WHERE actor_id = ? ORDER BY id DESC LIMIT 2', [
      w.admin.id,
    ]);
    expect(rows.map((r) => [r.entity_type, r.action])).toEqual([
      ['token', 'delete'],
      ['user', 'update'],
    ]);
    expect(rows[1].after).not.toMatch(/argon2/);
    expect((await lastAudit(app))!.before).not.toMatch(/[0-9a-f]{64}/); // a token's hash never reaches the trail
  });

  it('When an admin makes a user an admin, then that user can use admin routes', async () => {
    expect((await asAdmin('PATCH', `/api/users/${w.viewer.id}`, { isAdmin: true })).json().isAdmin).toBe(true);
    expect((await injectAs(app, w.viewer, { method: 'GET', url: '/api/users' })).statusCode).toBe(200);
  });

  it('When an email is changed to one another user has, then it gets 409 and nothing changes', async () => {
    const before = await snapshot(app);
    expectProblem(
      await asAdmin('PATCH', `/api/users/${w.viewer.id}`, { email: w.technician.email }),
      409,
      'EMAIL_TAKEN',
    );
    expect(await snapshot(app)).toEqual(before);
  });

  it('When two users are given the same new email and new passwords at once, then one change lands whole and the other gets 409 with nothing changed', async () => {
    const both = await Promise.all(
      [w.viewer, w.technician].map((u) =>
        asAdmin('PATCH', `/api/users/${u.id}`, { email: 'shared@example.com', password: 'a brand new password' }),
      ),
    );
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const [winner, loser] = both[0].statusCode === 200 ? [w.viewer, w.technician] : [w.technician, w.viewer];
    expect((await login('shared@example.com', 'a brand new password')).json()).toMatchObject({
      user: { id: winner.id },
    });
    // The loser keeps its email and its password: the refused write was rolled back whole.
    expect((await login(loser.email, PASSWORD)).statusCode).toBe(200);
  });

  it('When admins try to deactivate or demote themselves, then they get 422 and stay active admins', async () => {
    const before = await snapshot(app);
    expectInvalid(await asAdmin('PATCH', `/api/users/${w.admin.id}`, { active: false }), '/active');
    expectInvalid(await asAdmin('PATCH', `/api/users/${w.admin.id}`, { isAdmin: false }), '/isAdmin');
    expect(await snapshot(app)).toEqual(before);
    expect((await asAdmin('GET', '/api/users')).statusCode).toBe(200);
  });

  it('When the user does not exist, then it gets 404 USER_NOT_FOUND', async () => {
    expectProblem(await asAdmin('PATCH', '/api/users/usr_nope', { name: 'X' }), 404, 'USER_NOT_FOUND');
  });
});

describe('DELETE /api/users/:userId', () => {
  it('When an admin deletes a user, then their token stops working, they cannot sign in and their memberships are gone', async () => {
    expect((await asAdmin('DELETE', `/api/users/${w.technician.id}`)).statusCode).toBe(204);
    expectProblem(await injectAs(app, w.technician, { method: 'GET', url: '/api/me' }), 401, 'UNAUTHENTICATED');
    expectProblem(await login(w.technician.email, PASSWORD), 401, 'INVALID_CREDENTIALS');
    const members = await asAdmin('GET', `/api/sites/${w.site.id}/members`);
    expect(members.json().items.map((m: { userId: string }) => m.userId)).toEqual([w.viewer.id]);
  });

  it('When admins try to delete themselves, then they get 422 and still exist', async () => {
    expectInvalid(await asAdmin('DELETE', `/api/users/${w.admin.id}`), '/userId');
    expect(await app.repos.users.findById(w.admin.id)).not.toBeNull();
  });

  it('When another admin deletes an admin, then it is allowed (only self-deletion is refused)', async () => {
    const second = await createUser(app, { isAdmin: true });
    expect((await injectAs(app, second, { method: 'DELETE', url: `/api/users/${w.admin.id}` })).statusCode).toBe(204);
  });
});

describe('GET /api/users', () => {
  it('When there are more users than the limit, then the cursor walks every user once, by email', async () => {
    for (let i = 0; i < 7; i++) await createUser(app, { email: `paged${i}@example.com` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await asAdmin('GET', `/api/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((u: { email: string }) => u.email));
      cursor = res.json().nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(11);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(11);
    expect(seen.join()).not.toMatch(/password/i);
  });
});
