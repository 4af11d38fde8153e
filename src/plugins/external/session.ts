import cookie, { Signer } from '@fastify/cookie';
import session, { type SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionsRepository } from '../../db/repositories/sessions.js';

declare module 'fastify' {
  interface Session {
    userId?: string;
    /** Epoch ms of sign-in, for the absolute lifetime. */
    createdAt?: number;
    /** Epoch ms of the last idle-expiry refresh. */
    touchedAt?: number;
    returnTo?: string;
  }
}

export const SESSION_COOKIE = 'sitewatt.sid';
export const IDLE_TIMEOUT_MS = 30 * 60_000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60_000;
/** How stale the idle expiry may get before a request refreshes it. */
export const TOUCH_EVERY_MS = 60_000;

type Callback = (err?: unknown) => void;
type CallbackSession = (err: unknown, result?: Session | null) => void;

/** The persistent store: sessions live in SQLite, so they survive restarts. */
export class SqliteSessionStore implements SessionStore {
  constructor(private readonly repo: SessionsRepository) {}

  set(sid: string, value: Session, cb: Callback) {
    const idle = value.cookie.expires ? new Date(value.cookie.expires).getTime() : Date.now() + IDLE_TIMEOUT_MS;
    const absolute = value.createdAt ? value.createdAt + ABSOLUTE_TIMEOUT_MS : idle;
    this.repo.set(sid, JSON.stringify(value), value.userId ?? null, Math.min(idle, absolute)).then(() => cb(), cb);
  }

  get(sid: string, cb: CallbackSession) {
    this.repo.get(sid).then((data) => cb(null, data ? (JSON.parse(data) as Session) : null), cb);
  }

  destroy(sid: string, cb: Callback) {
    this.repo.destroy(sid).then(() => cb(), cb);
  }
}

type Unsigned = { valid: true; renew: boolean; value: string } | { valid: false; renew: false; value: null };

/**
 * @fastify/cookie's HMAC signer, remembering the cookies it has verified. Every request with a
 * session cookie unsigns it and then signs the id again (@fastify/session re-creates its Session
 * object); two HMACs were ~10 % of a small API answer in issue #6's profile. HMAC is a pure
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

export default fp(
  async (app, opts: { secret: string; secure: boolean; repo: SessionsRepository }) => {
    await app.register(cookie);
    await app.register(session, {
      secret: new RememberingSigner(opts.secret),
      cookieName: SESSION_COOKIE,
      store: new SqliteSessionStore(opts.repo),
      saveUninitialized: false,
      // Not rolling on every response (that is a database write per request): src/plugins/app/auth.ts
      // touches a signed-in session at most once a minute, which moves the idle expiry.
      rolling: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secure, maxAge: IDLE_TIMEOUT_MS, path: '/' },
    });
    // Expired rows are pruned at boot and every 10 minutes.
    const prune = () => opts.repo.prune().catch((err: unknown) => app.log.warn({ err }, 'session prune failed'));
    await prune();
    const timer = setInterval(prune, 10 * 60_000).unref();
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'session' },
);
