import { eq, lt } from 'drizzle-orm';
import type { Db } from '../client.js';
import { sessions } from '../schema.js';

/** Raw session rows for the @fastify/session store (src/plugins/external/session.ts). */
export function sessionsRepository(db: Db) {
  // Prepared once: the session is read and touched on every request (hot path).
  const getStmt = db.$client.prepare<[string, number], { data: string }>(
    'SELECT data FROM sessions WHERE sid = ? AND expires_at > ?',
  );
  const setStmt = db.$client.prepare(
    `INSERT INTO sessions (sid, data, user_id, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(sid) DO UPDATE SET data = excluded.data, user_id = excluded.user_id, expires_at = excluded.expires_at`,
  );
  // Update only: a request that read a session before it was destroyed (sign-out, a password
  // reset) must not bring it back by saving it afterwards.
  const updateStmt = db.$client.prepare('UPDATE sessions SET data = ?, user_id = ?, expires_at = ? WHERE sid = ?');
  const touchStmt = db.$client.prepare(
    "UPDATE sessions SET data = json_set(data, '$.touchedAt', ?, '$.cookie.expires', ?), expires_at = ? WHERE sid = ?",
  );
  return {
    async get(sid: string): Promise<string | null> {
      return getStmt.get(sid, Date.now())?.data ?? null;
    },
    async set(sid: string, data: string, userId: string | null, expiresAt: number): Promise<void> {
      setStmt.run(sid, data, userId, expiresAt);
    },
    /** Saves a session read from this table; false (nothing written) when its row is gone. */
    async update(sid: string, data: string, userId: string | null, expiresAt: number): Promise<boolean> {
      return updateStmt.run(data, userId, expiresAt, sid).changes > 0;
    },
    /** Moves an existing session's idle expiry, leaving the rest of its data as it is; false when it is gone. */
    async touch(sid: string, touchedAt: number, cookieExpires: string, expiresAt: number): Promise<boolean> {
      return touchStmt.run(touchedAt, cookieExpires, expiresAt, sid).changes > 0;
    },
    async destroy(sid: string): Promise<void> {
      db.delete(sessions).where(eq(sessions.sid, sid)).run();
    },
    async destroyForUser(userId: string): Promise<void> {
      db.delete(sessions).where(eq(sessions.userId, userId)).run();
    },
    async prune(now = Date.now()): Promise<number> {
      return db.delete(sessions).where(lt(sessions.expiresAt, now)).run().changes;
    },
  };
}

export type SessionsRepository = ReturnType<typeof sessionsRepository>;
