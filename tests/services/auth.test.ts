import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/app.js';
import type { Repositories } from '../../src/db/repositories/index.js';
import { errors } from '../../src/errors.js';
import { authService, hashToken } from '../../src/services/auth.js';
import { buildTestApp } from '../helpers/app.js';
import { sqlOf } from '../helpers/sql.js';

// Services never import fastify, so they are tested over repositories alone (a test app's, on
// either database; its own auth service is not used).
let app: App;
let repos: Repositories;
let auth: ReturnType<typeof authService>;
let userId: string;

beforeEach(async () => {
  app = await buildTestApp();
  repos = app.repos;
  auth = authService(repos);
  userId = (
    await repos.users.create(
      { email: 'ann@example.com', name: 'Ann', passwordHash: 'not-a-real-hash', isAdmin: false },
      null,
    )
  ).id;
});
afterEach(() => app.close());

const actorFor = async (id: string) => (await auth.loadActor(id))!;

describe('bearer tokens (actorForToken)', () => {
  it('When a token is created, then its secret resolves to the user and only its SHA-256 is stored', async () => {
    const created = await auth.createToken(await actorFor(userId), 'session', { name: ' ci ' });
    expect(created.name).toBe('ci');
    expect((await auth.actorForToken(created.token))?.id).toBe(userId);
    const row = (await sqlOf(app).get<{ token_hash: string }>(
      'SELECT token_hash FROM api_tokens WHERE id = ?',
      created.id,
    ))!;
    expect(row.token_hash).toBe(hashToken(created.token));
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('When a token expires at T, then it resolves until just before T and never from T on', async () => {
    const t0 = Date.now();
    const { token, expiresAt } = await auth.createToken(await actorFor(userId), 'session', {
      name: 'short',
      expiresInDays: 2,
    });
    const expiry = Date.parse(expiresAt!);
    expect(expiry - t0).toBeGreaterThanOrEqual(2 * 86_400_000);
    expect(expiry - t0).toBeLessThan(2 * 86_400_000 + 5_000);
    expect((await auth.actorForToken(token, expiry - 60_000))?.id).toBe(userId);
    expect(await auth.actorForToken(token, expiry)).toBeNull();
    expect(await auth.actorForToken(token, expiry + 86_400_000)).toBeNull();
  });

  it('When a token is used often, then last use is written at most once a minute', async () => {
    const { token, id } = await auth.createToken(await actorFor(userId), 'session', { name: 'busy' });
    const lastUsed = () => sqlOf(app).value<number | null>('SELECT last_used_at AS t FROM api_tokens WHERE id = ?', id);
    const t0 = Date.now() + 1000; // within the token's lifetime
    await auth.actorForToken(token, t0);
    expect(await lastUsed()).toBe(t0);
    await auth.actorForToken(token, t0 + 30_000);
    expect(await lastUsed()).toBe(t0);
    await auth.actorForToken(token, t0 + 61_000);
    expect(await lastUsed()).toBe(t0 + 61_000);
  });

  it('When the raw value lacks the sw_ prefix or is unknown, then it resolves to nobody', async () => {
    expect(await auth.actorForToken('abc')).toBeNull();
    expect(await auth.actorForToken('sw_unknown')).toBeNull();
  });

  it("When someone revokes another user's token, then TOKEN_NOT_FOUND and it still resolves", async () => {
    const other = await repos.users.create(
      { email: 'bob@example.com', name: 'Bob', passwordHash: 'x', isAdmin: false },
      null,
    );
    const { token, id } = await auth.createToken(await actorFor(userId), 'session', { name: 'mine' });
    await expect(auth.revokeToken(await actorFor(other.id), id)).rejects.toThrow(errors.TOKEN_NOT_FOUND);
    expect((await auth.actorForToken(token))?.id).toBe(userId);
  });

  it('When a bearer token is used, then it gives the acting user, reading the access version once; an unknown, expired or deactivated one gives nobody', async () => {
    const { token } = await auth.createToken(await actorFor(userId), 'session', { name: 'ci', expiresInDays: 1 });
    const reads = vi.spyOn(repos.users, 'accessVersion');
    expect(await auth.actorForToken(token)).toMatchObject({ id: userId, email: 'ann@example.com', isAdmin: false });
    expect(reads).toHaveBeenCalledTimes(1);
    expect(await auth.actorForToken(token)).toMatchObject({ id: userId }); // from the caches
    expect(reads).toHaveBeenCalledTimes(2);
    expect(await auth.actorForToken('sw_unknown')).toBeNull();
    expect(await auth.actorForToken('not-a-token')).toBeNull();
    expect(await auth.actorForToken(token, Date.now() + 2 * 86_400_000)).toBeNull();
    await repos.users.update(userId, { active: false }, null);
    expect(await auth.actorForToken(token)).toBeNull();
  });
});

describe('loadActor', () => {
  it('When the user is deactivated or deleted, then there is no actor', async () => {
    expect(await auth.loadActor(userId)).toMatchObject({ id: userId, isAdmin: false });
    await repos.users.update(userId, { active: false }, null);
    expect(await auth.loadActor(userId)).toBeNull();
    expect(await auth.loadActor('usr_gone')).toBeNull();
  });

  it('When the user is a member of sites, then the actor carries each role', async () => {
    const site = await repos.sites.create(
      { name: 'S', description: '', latitude: null, longitude: null, timezone: 'UTC' },
      null,
    );
    await repos.sites.setMember(site.id, userId, 'viewer', null);
    expect([...(await actorFor(userId)).roles]).toEqual([[site.id, 'viewer']]);
  });
});

describe('login', () => {
  it('When the stored hash is not an argon2 hash, then sign-in fails with INVALID_CREDENTIALS, not a crash', async () => {
    await expect(auth.login('ann@example.com', 'whatever')).rejects.toThrow(errors.INVALID_CREDENTIALS);
  });
});
