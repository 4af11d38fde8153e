import cookie, { fastifyCookie, Signer } from '@fastify/cookie';
import session, { type FastifySessionOptions, type SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionsRepository } from '../../db/repositories/sessions.js';
import { HOUR_MS, MINUTE_MS } from '../../time.js';

declare module 'fastify' {
  interface Session {
    userId?: string;
    /** Epoch ms of sign-in, for the absolute lifetime. */
    createdAt?: number;
    /** Epoch ms of the last idle-expiry refresh. */
    touchedAt?: number;
    /**
     * Set on a session read from the store: saving it then updates its row and never re-creates
     * it, so a request that began before a sign-out or a password reset cannot bring it back.
     */
    stored?: true;
  }
}

export const SESSION_COOKIE = 'sitewatt.sid';
export const IDLE_TIMEOUT_MS = 30 * MINUTE_MS;
export const ABSOLUTE_TIMEOUT_MS = 12 * HOUR_MS;
/** How stale the idle expiry may get before a request refreshes it. */
export const TOUCH_EVERY_MS = MINUTE_MS;

/** Whether a session signed in at `createdAt` is past its absolute lifetime (or never signed in). */
export const outlived = (createdAt: number | undefined, now: number) =>
  !createdAt || now - createdAt > ABSOLUTE_TIMEOUT_MS;
/** Whether a session last touched at `touchedAt` is due another touch. */
export const touchDue = (touchedAt: number | undefined, now: number) => now - (touchedAt ?? 0) >= TOUCH_EVERY_MS;

type Callback = (err?: unknown) => void;
type CallbackSession = (err: unknown, result?: Session | null) => void;

/** What a session row's `data` holds: @fastify/session's `Session`, as JSON. */
export interface StoredSession {
  cookie: { expires?: string | null; originalMaxAge?: number | null; [option: string]: unknown };
  userId?: string;
  createdAt?: number;
  touchedAt?: number;
  [field: string]: unknown;
}

/** When a stored session ends: its idle expiry, or 12 hours after sign-in if sooner. */
function endOf(session: { cookie: { expires?: Date | string | null }; createdAt?: number }) {
  const idle = session.cookie.expires ? new Date(session.cookie.expires).getTime() : Date.now() + IDLE_TIMEOUT_MS;
  return session.createdAt ? Math.min(idle, session.createdAt + ABSOLUTE_TIMEOUT_MS) : idle;
}

/** The persistent store: sessions live in SQLite, so they survive restarts. */
export class SqliteSessionStore implements SessionStore {
  constructor(private readonly repo: SessionsRepository) {}

  set(sid: string, value: Session, cb: Callback) {
    // `stored` says how this object came to be, not what the session holds: never written.
    const { stored, ...fields } = value;
    const [data, userId, end] = [JSON.stringify(fields), value.userId ?? null, endOf(value)];
    (stored ? this.repo.update(sid, data, userId, end) : this.repo.set(sid, data, userId, end)).then(() => cb(), cb);
  }

  get(sid: string, cb: CallbackSession) {
    // @fastify/session copies every field of what it gets into the Session it restores.
    this.repo.get(sid).then((data) => cb(null, data ? ({ ...JSON.parse(data), stored: true } as Session) : null), cb);
  }

  destroy(sid: string, cb: Callback) {
    this.repo.destroy(sid).then(() => cb(), cb);
  }
}

type Unsigned = { valid: true; renew: boolean; value: string } | { valid: false; renew: false; value: null };

/**
 * @fastify/cookie's HMAC signer, remembering the cookies it has verified. Every request with a
 * session cookie unsigns it, and on pages signs the id again (@fastify/session re-creates its
 * Session object); two HMACs are a visible share of a small API answer. HMAC is a pure
 * function of id and secret, so a remembered answer is the answer. Only valid cookies are kept
 * (a forged cookie costs its HMAC every time, like before), at most MAX entries.
 */
export class RememberingSigner {
  static readonly MAX = 10_000;
  private readonly inner: Signer;
  private readonly verified = new Map<string, Unsigned>();
  private readonly signed = new Map<string, string>();

  constructor(secret: string) {
    this.inner = new Signer(secret);
  }

  sign(value: string): string {
    return this.signed.get(value) ?? this.inner.sign(value);
  }

  unsign(signedValue: string): Unsigned {
    const known = this.verified.get(signedValue);
    if (known) return known;
    const result = this.inner.unsign(signedValue) as Unsigned;
    if (result.valid) {
      if (this.verified.size >= RememberingSigner.MAX) {
        this.verified.clear();
        this.signed.clear();
      }
      this.verified.set(signedValue, result);
      this.signed.set(result.value, signedValue);
    }
    return result;
  }
}

/** A signed-in session as the API reads it: its id, the cookie's value and what is stored. */
export interface ApiSession {
  sid: string;
  cookie: string;
  data: StoredSession;
}

/**
 * The session cookie read without @fastify/session, for the JSON API (see `sessionScope`): the
 * same cookie, signer and rows, and the same expiry rules. Touching a session moves its idle expiry
 * in the row and re-sends the cookie with it, as @fastify/session does when a session is modified.
 */
export class ApiSessions {
  private readonly signer: RememberingSigner;
  /** @fastify/session's options, for `sessionScope`: the same signer, store, cookie name and flags. */
  readonly options: FastifySessionOptions;

  /** The cookie's attributes, on pages and API alike; @fastify/session adds the expiry from maxAge. */
  private readonly attributes: { httpOnly: true; sameSite: 'lax'; secure: boolean; path: '/' };

  constructor(
    secret: string,
    private readonly repo: SessionsRepository,
    private readonly secure: boolean,
  ) {
    this.signer = new RememberingSigner(secret);
    this.attributes = { httpOnly: true, sameSite: 'lax', secure, path: '/' };
    this.options = {
      secret: this.signer,
      cookieName: SESSION_COOKIE,
      store: new SqliteSessionStore(repo),
      saveUninitialized: false,
      // Not rolling on every response (that is a database write per request): src/plugins/app/auth.ts
      // touches a signed-in session at most once a minute, which moves the idle expiry.
      rolling: false,
      cookie: { ...this.attributes, maxAge: IDLE_TIMEOUT_MS },
    };
  }

  /** The session behind a cookie value, or null (none, forged, unknown, expired). */
  async read(cookie: string | undefined): Promise<ApiSession | null> {
    if (!cookie) return null;
    const unsigned = this.signer.unsign(cookie);
    if (!unsigned.valid) return null;
    const data = await this.repo.get(unsigned.value);
    return data ? { sid: unsigned.value, cookie, data: JSON.parse(data) as StoredSession } : null;
  }

  /**
   * Moves the idle expiry to `now` + 30 minutes, in the row only (the rest of its data is left as
   * it is, whatever a page saved meanwhile); returns the Set-Cookie value that carries it, or null
   * when the session is gone. Like @fastify/session, it saves nothing for a `Secure` cookie that
   * came over plain http.
   */
  async touch(session: ApiSession, now: number, https: boolean): Promise<string | null> {
    if (this.secure && !https) return null;
    const expires = new Date(now + IDLE_TIMEOUT_MS);
    const end = endOf({ cookie: { expires }, createdAt: session.data.createdAt });
    if (!(await this.repo.touch(session.sid, now, expires.toISOString(), end))) return null;
    // As @fastify/session sends it for a modified session: the expiry as a date, no Max-Age.
    return fastifyCookie.serialize(SESSION_COOKIE, session.cookie, { ...this.attributes, expires });
  }

  /** The Set-Cookie value that makes a browser forget a dead session cookie (as @fastify/session clears one). */
  readonly clear = fastifyCookie.serialize(SESSION_COOKIE, '', { path: '/', expires: new Date(0), maxAge: 0 });
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's reader of session cookies; pages and sign-in use @fastify/session (`sessionScope`). */
    apiSessions: ApiSessions;
  }
}

/**
 * Cookies for the whole app, the session store, and `app.apiSessions`. @fastify/session itself
 * runs only where `sessionScope` is registered: the web pages and `/api/auth`.
 */
export default fp(
  async (app, opts: { secret: string; secure: boolean; repo: SessionsRepository }) => {
    await app.register(cookie);
    app.decorate('apiSessions', new ApiSessions(opts.secret, opts.repo, opts.secure));
    // Expired rows are pruned at boot and every 10 minutes.
    const prune = () => opts.repo.prune().catch((err: unknown) => app.log.warn({ err }, 'session prune failed'));
    await prune();
    const timer = setInterval(prune, 10 * MINUTE_MS).unref();
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'session' },
);

/**
 * @fastify/session for the routes of the context that registers this: the web pages (sign-in, CSRF
 * tokens) and `/api/auth` (sign-in and out). It builds a `Session` for every
 * request it sees, cookie or not (a new id and its HMAC, the `Cookie`, the session serialised and
 * hashed twice to detect changes): on a small JSON answer that costs more than half the throughput
 * (docs/performance.md, the layers of the stack).
 * The rest of the API only needs to know who is signed in, and reads that with `app.apiSessions`.
 */
export const sessionScope = fp(
  async (app) => {
    await app.register(session, app.apiSessions.options);
  },
  { name: 'session-scope', dependencies: ['session'] },
);
