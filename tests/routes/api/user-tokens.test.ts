// What an admin can do about another user's API tokens, and what a password reset or a
// deactivation does to them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs, loginCookie } from '../../helpers/app.js';
import { sqlRows } from '../../helpers/sql.js';
import { expectProblem, type World } from './support.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const me = (token: string) => app.inject({ url: '/api/me', headers: { authorization: `Bearer ${token}` } });

/** A second token of the technician, made the way a person makes one: signed in. */
async function minted(name = 'script'): Promise<{ id: string; token: string }> {
  const cookie = await loginCookie(app, w.technician.email);
  const res = await app.inject({ method: 'POST', url: '/api/me/tokens', headers: { cookie }, payload: { name } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const patchUser = (payload: object) =>
  injectAs(app, w.admin, { method: 'PATCH', url: `/api/users/${w.technician.id}`, payload });

const tokenAudit = async (userId: string) =>
  (
    await sqlRows<{ actor_id: string; entity_id: string; action: string; before: string | null }>(
      app,
      "SELECT actor_id, entity_id, action, before FROM audit_log WHERE entity_type = 'token' ORDER BY id",
    )
  ).filter((r) => r.before && JSON.parse(r.before).userId === userId && r.action === 'delete');

describe('PATCH /api/users/:userId', () => {
  it("When an admin resets a user's password, then every token of that user gets 401, none is listed, and the audit trail records each revocation by the admin", async () => {
    const second = await minted();
    expect((await me(w.technician.token)).statusCode).toBe(200);
    expect((await patchUser({ password: 'a brand new password' })).statusCode).toBe(200);
    for (const token of [w.technician.token, second.token]) expectProblem(await me(token), 401, 'UNAUTHENTICATED');
    const list = await injectAs(app, w.admin, { method: 'GET', url: `/api/users/${w.technician.id}/tokens` });
    expect(list.json().items).toEqual([]);
    const rows = await tokenAudit(w.technician.id);
    expect(rows.map((r) => r.actor_id)).toEqual([w.admin.id, w.admin.id]);
    expect(rows.map((r) => r.entity_id)).toContain(second.id);
  });

  it('When an admin deactivates a user and then reactivates them, then their old tokens stay revoked', async () => {
    const second = await minted();
    expect((await patchUser({ active: false })).statusCode).toBe(200);
    expect((await patchUser({ active: true })).statusCode).toBe(200);
    for (const token of [w.technician.token, second.token]) expectProblem(await me(token), 401, 'UNAUTHENTICATED');
    expect((await tokenAudit(w.technician.id)).map((r) => r.actor_id)).toEqual([w.admin.id, w.admin.id]);
    // Signing in again works, and so does a new token made that way.
    expect((await minted('after')).token).toMatch(/^sw_/);
  });

  it("When an admin changes only a user's name, then their tokens keep working", async () => {
    expect((await patchUser({ name: 'Renamed' })).statusCode).toBe(200);
    expect((await me(w.technician.token)).statusCode).toBe(200);
  });
});

describe('GET /api/users/:userId/tokens', () => {
  it("When an admin lists a user's tokens, then it sees them without any secret or hash", async () => {
    const second = await minted('nightly');
    const res = await injectAs(app, w.admin, { method: 'GET', url: `/api/users/${w.technician.id}/tokens` });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Record<string, unknown>[];
    expect(items.map((t) => t.name).sort()).toEqual(['nightly', 'test']);
    expect(items.find((t) => t.id === second.id)).toBeDefined();
    expect(res.body).not.toContain(second.token);
    for (const t of items)
      expect(Object.keys(t).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix']);
  });

  it("When a non-admin lists someone's tokens, or even their own here, then it gets 403; an unknown user is a 404", async () => {
    for (const url of [`/api/users/${w.viewer.id}/tokens`, `/api/users/${w.technician.id}/tokens`])
      expectProblem(await injectAs(app, w.technician, { method: 'GET', url }), 403, 'FORBIDDEN');
    expectProblem(
      await injectAs(app, w.admin, { method: 'GET', url: '/api/users/usr_nobody/tokens' }),
      404,
      'USER_NOT_FOUND',
    );
  });
});

describe('DELETE /api/users/:userId/tokens/:tokenId', () => {
  it("When an admin revokes a user's token, then it gets 204, the token gets 401, the user's other token still works and the audit trail names the admin", async () => {
    const second = await minted();
    const res = await injectAs(app, w.admin, {
      method: 'DELETE',
      url: `/api/users/${w.technician.id}/tokens/${second.id}`,
    });
    expect(res.statusCode).toBe(204);
    expectProblem(await me(second.token), 401, 'UNAUTHENTICATED');
    expect((await me(w.technician.token)).statusCode).toBe(200);
    expect(await tokenAudit(w.technician.id)).toEqual([
      expect.objectContaining({ actor_id: w.admin.id, entity_id: second.id, action: 'delete' }),
    ]);
  });

  it("When the token is not that user's, or there is no such user, then 404 and the token keeps working", async () => {
    const second = await minted();
    expectProblem(
      await injectAs(app, w.admin, { method: 'DELETE', url: `/api/users/${w.viewer.id}/tokens/${second.id}` }),
      404,
      'TOKEN_NOT_FOUND',
    );
    expectProblem(
      await injectAs(app, w.admin, { method: 'DELETE', url: `/api/users/usr_nobody/tokens/${second.id}` }),
      404,
      'USER_NOT_FOUND',
    );
    expect((await me(second.token)).statusCode).toBe(200);
  });

  it("When a non-admin tries to revoke another user's token, then 403 and the token keeps working", async () => {
    const second = await minted();
    expectProblem(
      await injectAs(app, w.viewer, { method: 'DELETE', url: `/api/users/${w.technician.id}/tokens/${second.id}` }),
      403,
      'FORBIDDEN',
    );
    expect((await me(second.token)).statusCode).toBe(200);
  });
});
