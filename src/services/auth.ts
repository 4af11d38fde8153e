import { createHash, randomBytes } from 'node:crypto';
import type { Repositories } from '../db/repositories/index.js';
import { errors, invalid } from '../errors.js';
import type { LiveHub } from './live.js';
import { LoginThrottle, type Throttle } from './login-throttle.js';
import { verifyPassword } from './passwords.js';
import { requireAdmin, requireSession, type Actor, type AuthMethod, type IngestPrincipal } from './policy.js';
import { iso, userView } from './views.js';
import { DAY_MS } from '../time.js';

/** Tokens are random; only their SHA-256 is stored (a high-entropy secret needs no slow hash). */
export const hashToken = (raw: string) => createHash('sha256').update(raw).digest('hex');
const TOKEN_PREFIX = 'sw_';
/** Ingest keys have their own prefix, so a bearer credential's kind is known before any lookup. */
export const INGEST_KEY_PREFIX = 'swi_';

/** Cached actors and tokens at most; past it the cache starts over. */
const CACHE_MAX = 10_000;
type TokenRow = NonNullable<Awaited<ReturnType<Repositories['tokens']['findByHash']>>>;
type KeyRow = NonNullable<Awaited<ReturnType<Repositories['ingestKeys']['findActiveByHash']>>>;

export interface AuthOptions {
  /** Told when a token is revoked, so open streams of its user check their credential at once. */
  hub?: LiveHub;
  /** The longest lifetime of a token, in days (TOKEN_MAX_DAYS). */
  tokenMaxDays?: number;
  throttle?: Throttle;
}

export function authService(repos: Repositories, opts: AuthOptions = {}) {
  const { hub, tokenMaxDays = 365, throttle = new LoginThrottle() } = opts;
  // Every authenticated request needs its actor (a user row and the memberships, several reads)
  // and, with a bearer token, the token row. Both are cached and valid while the access version
  // is unchanged: database triggers move it on any change to users, memberships, sites or tokens
  // (drizzle/0003_access_version.sql), whoever writes. Reading it is one indexed row.
  const actors = new Map<string, Actor | null>();
  const tokens = new Map<string, TokenRow>();
  const keys = new Map<string, KeyRow>();
  let cachedAt = -1;
  /**
   * Brings the caches to the current access version; returns it. Without the version row (null)
   * nothing can be trusted: null never equals cachedAt, so the caches are emptied on every call and
   * nothing is filed under it.
   */
  async function checkVersion(): Promise<number | null> {
    const version = await repos.users.accessVersion();
    if (version !== cachedAt || actors.size + tokens.size + keys.size > CACHE_MAX) {
      actors.clear();
      tokens.clear();
      keys.clear();
      cachedAt = version ?? -1;
    }
    return version;
  }

  /** loadActor's work once the caches are at `version`. */
  async function actorAt(userId: string, version: number | null): Promise<Actor | null> {
    const cached = actors.get(userId);
    if (cached !== undefined) return cached;
    const user = await repos.users.findById(userId);
    const memberships = user?.active ? await repos.users.memberships(userId) : [];
    const actor = user?.active
      ? {
          id: user.id,
          email: user.email,
          name: user.name,
          isAdmin: user.isAdmin,
          roles: new Map(memberships.map((m) => [m.siteId, m.role])),
        }
      : null;
    // Kept only if no other request has moved the caches to a newer version while this one
    // read: a row read before a change must not be filed under the version after it.
    if (cachedAt === version) actors.set(userId, actor);
    return actor;
  }

  /** The user id behind a bearer token once the caches are at `version`, or null. */
  async function tokenUserAt(raw: string, now: number, version: number | null): Promise<string | null> {
    const hash = hashToken(raw);
    let token = tokens.get(hash);
    if (!token) {
      const row = await repos.tokens.findByHash(hash);
      if (!row) return null; // misses are not cached: the next guess costs its query, as before
      token = { ...row };
      if (cachedAt === version) tokens.set(hash, token); // as in actorAt
    }
    if (token.expiresAt !== null && token.expiresAt <= now) return null;
    if (await repos.tokens.touch(token.id, token.lastUsedAt, now)) token.lastUsedAt = now;
    return token.userId;
  }

  return {
    /**
     * Same error, same work, for an unknown email, a wrong password and a deactivated account.
     * Too many failures on one account: 429 with a retry time (src/services/login-throttle.ts).
     */
    async login(email: string, password: string) {
      const key = email.trim().toLowerCase();
      const wait = await throttle.retryAfter(key);
      if (wait > 0) throw Object.assign(new errors.RATE_LIMITED(), { retryAfter: wait });
      const user = await repos.users.findByEmailWithHash(key);
      const ok = await verifyPassword(user?.passwordHash ?? null, password);
      if (!user || !ok || !user.active) {
        await throttle.fail(key);
        throw new errors.INVALID_CREDENTIALS();
      }
      await throttle.succeed(key);
      const { passwordHash: _h, ...rest } = user;
      return userView(rest);
    },

    /** The acting user with their site roles, or null when the account is gone or deactivated. */
    async loadActor(userId: string): Promise<Actor | null> {
      return actorAt(userId, await checkVersion());
    },

    /**
     * The acting user behind a bearer token, or null for an unknown, revoked or expired token or a
     * deactivated user. One check of the access version serves both lookups (every bearer request).
     */
    async actorForToken(raw: string, now = Date.now()): Promise<Actor | null> {
      if (!raw.startsWith(TOKEN_PREFIX)) return null;
      const version = await checkVersion();
      const userId = await tokenUserAt(raw, now, version);
      return userId ? actorAt(userId, version) : null;
    },

    /**
     * The ingest key behind a bearer credential, or null for an unknown or revoked one (deleting its
     * site or device deletes it). Cached like tokens: revoking moves the access version.
     */
    async ingestKeyFor(raw: string, now = Date.now()): Promise<IngestPrincipal | null> {
      if (!raw.startsWith(INGEST_KEY_PREFIX)) return null;
      const version = await checkVersion();
      const hash = hashToken(raw);
      let key = keys.get(hash);
      if (!key) {
        const row = await repos.ingestKeys.findActiveByHash(hash);
        if (!row) return null;
        key = { ...row };
        if (cachedAt === version) keys.set(hash, key); // as in actorAt
      }
      if (await repos.ingestKeys.touch(key.id, key.lastUsedAt, now)) key.lastUsedAt = now;
      return { keyId: key.id, siteId: key.siteId, deviceId: key.deviceId };
    },

    /**
     * The access version (null without its row). Long-lived connections that hold a credential
     * (MQTT clients) poll it and re-check their credentials only when it moves.
     */
    async accessVersion(): Promise<number | null> {
      return checkVersion();
    },

    /**
     * A session of the user was destroyed (sign-out): their open streams read their credentials
     * again now rather than at their next periodic re-check.
     */
    signedOut(userId: string): void {
      hub?.accessChanged(userId);
    },

    async me(actor: Actor) {
      const user = await repos.users.findById(actor.id);
      if (!user) throw new errors.UNAUTHENTICATED();
      return { ...userView(user), memberships: await repos.users.memberships(actor.id) };
    },

    /**
     * A new token of the actor, who must be signed in with a session (`via`). It lives
     * `expiresInDays`, at most and by default `tokenMaxDays`.
     */
    async createToken(actor: Actor, via: AuthMethod | null, input: { name: string; expiresInDays?: number }) {
      requireSession(via, 'create API tokens');
      const days = input.expiresInDays ?? tokenMaxDays;
      if (days > tokenMaxDays) throw invalid([{ path: '/expiresInDays', message: `must be at most ${tokenMaxDays}` }]);
      const raw = TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const expiresAt = Date.now() + days * DAY_MS;
      const token = await repos.tokens.create({
        userId: actor.id,
        name: input.name.trim(),
        tokenHash: hashToken(raw),
        prefix: raw.slice(0, 8),
        expiresAt,
      });
      return { ...tokenView(token), token: raw };
    },

    async listTokens(actor: Actor) {
      return (await repos.tokens.listForUser(actor.id)).map(tokenView);
    },

    async revokeToken(actor: Actor, tokenId: string) {
      if (!(await repos.tokens.delete(actor.id, tokenId))) throw new errors.TOKEN_NOT_FOUND();
      hub?.accessChanged(actor.id);
    },

    /** Any user's tokens (admins): what a script acting as them can do is theirs to see and end. */
    async listTokensOf(actor: Actor, userId: string) {
      requireAdmin(actor, "read other users' tokens");
      if (!(await repos.users.findById(userId))) throw new errors.USER_NOT_FOUND();
      return (await repos.tokens.listForUser(userId)).map(tokenView);
    },

    async revokeTokenOf(actor: Actor, userId: string, tokenId: string) {
      requireAdmin(actor, "revoke other users' tokens");
      if (!(await repos.tokens.delete(userId, tokenId, actor.id))) {
        if (!(await repos.users.findById(userId))) throw new errors.USER_NOT_FOUND();
        throw new errors.TOKEN_NOT_FOUND();
      }
      hub?.accessChanged(userId);
    },
  };
}

const tokenView = (t: {
  id: string;
  name: string;
  prefix: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  createdAt: iso(t.createdAt),
  expiresAt: t.expiresAt === null ? null : iso(t.expiresAt),
  lastUsedAt: t.lastUsedAt === null ? null : iso(t.lastUsedAt),
});

export type AuthService = ReturnType<typeof authService>;
