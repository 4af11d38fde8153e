import { and, eq, gt, lt, sql } from 'drizzle-orm';
import type { Repositories } from '../../repositories/index.js';
import type { PgDb } from '../client.js';
import { sessions } from '../schema.js';

/** Raw session rows for the @fastify/session store: in the database, so every node sees every session. */
export function pgSessionsRepository(db: PgDb): Repositories['sessions'] {
  return {
    async get(sid) {
      const [row] = await db
        .select({ data: sessions.data })
        .from(sessions)
        .where(and(eq(sessions.sid, sid), gt(sessions.expiresAt, Date.now())));
      return row?.data ?? null;
    },
    async set(sid, data, userId, expiresAt) {
      await db
        .insert(sessions)
        .values({ sid, data, userId, expiresAt })
        .onConflictDoUpdate({ target: sessions.sid, set: { data, userId, expiresAt } });
    },
    // Update only: a request that read a session before it was destroyed must not bring it back.
    async update(sid, data, userId, expiresAt) {
      const gone = await db
        .update(sessions)
        .set({ data, userId, expiresAt })
        .where(eq(sessions.sid, sid))
        .returning({ sid: sessions.sid });
      return gone.length > 0;
    },
    async touch(sid, touchedAt, cookieExpires, expiresAt) {
      // The text column holds JSON; jsonb_set edits the two fields in place of SQLite's json_set.
      const touched = await db
        .update(sessions)
        .set({
          data: sql`jsonb_set(jsonb_set(${sessions.data}::jsonb, '{touchedAt}', to_jsonb(${touchedAt}::bigint)), '{cookie,expires}', to_jsonb(${cookieExpires}::text))::text`,
          expiresAt,
        })
        .where(eq(sessions.sid, sid))
        .returning({ sid: sessions.sid });
      return touched.length > 0;
    },
    async destroy(sid) {
      await db.delete(sessions).where(eq(sessions.sid, sid));
    },
    async destroyForUser(userId) {
      await db.delete(sessions).where(eq(sessions.userId, userId));
    },
    async prune(now = Date.now()) {
      const gone = await db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ sid: sessions.sid });
      return gone.length;
    },
  };
}
