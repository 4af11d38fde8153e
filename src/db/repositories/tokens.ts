import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import { apiTokens } from '../schema.js';
import { MINUTE_MS } from '../../time.js';
import { writeAudit } from './audit.js';

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

const cols = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
};

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** What the audit trail keeps of a token: who it acts for and how to recognise it, never its hash. */
const audited = (t: ApiToken & { userId: string }) => ({
  userId: t.userId,
  name: t.name,
  prefix: t.prefix,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
});

/**
 * Deletes every token of a user inside the caller's transaction, with an audit row each: a password
 * reset or a deactivation revokes them with the change that calls for it, or not at all.
 */
export function revokeAllInTx(tx: Tx, userId: string, actorId: string | null): number {
  const gone = tx
    .select({ ...cols, userId: apiTokens.userId })
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .all();
  if (gone.length === 0) return 0;
  tx.delete(apiTokens).where(eq(apiTokens.userId, userId)).run();
  for (const t of gone)
    writeAudit(tx, {
      actorId,
      siteId: null,
      entityType: 'token',
      entityId: t.id,
      action: 'delete',
      before: audited(t),
    });
  return gone.length;
}

export function tokensRepository(db: Db) {
  const byHash = db.$client.prepare<
    [string],
    { id: string; userId: string; expiresAt: number | null; lastUsedAt: number | null }
  >(
    'SELECT id, user_id AS userId, expires_at AS expiresAt, last_used_at AS lastUsedAt FROM api_tokens WHERE token_hash = ?',
  );
  const touch = db.$client.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  return {
    /** The token and its audit row (by `actorId`, the user themself unless said otherwise): one transaction. */
    async create(
      input: { userId: string; name: string; tokenHash: string; prefix: string; expiresAt: number | null },
      actorId: string | null = input.userId,
    ): Promise<ApiToken> {
      const row = { id: newId('tok'), ...input, createdAt: Date.now(), lastUsedAt: null };
      const { userId, tokenHash: _h, ...token } = row;
      db.transaction((tx) => {
        tx.insert(apiTokens).values(row).run();
        writeAudit(tx, {
          actorId,
          siteId: null,
          entityType: 'token',
          entityId: row.id,
          action: 'create',
          after: audited({ ...token, userId }),
        });
      });
      return token;
    },
    async listForUser(userId: string): Promise<ApiToken[]> {
      return db
        .select(cols)
        .from(apiTokens)
        .where(eq(apiTokens.userId, userId))
        .orderBy(desc(apiTokens.createdAt))
        .all();
    },
    async findByHash(tokenHash: string) {
      return byHash.get(tokenHash) ?? null;
    },
    /** Writes last-used at most once a minute per token, to keep the hot path read-only. */
    /** True when it wrote. */
    async touch(id: string, lastUsedAt: number | null, now = Date.now()): Promise<boolean> {
      if (lastUsedAt !== null && now - lastUsedAt <= MINUTE_MS) return false;
      touch.run(now, id);
      return true;
    },
    /** Revokes one token of `userId`, with its audit row (by `actorId`: the user or an admin); false when there is none. */
    async delete(userId: string, id: string, actorId: string | null = userId): Promise<boolean> {
      return db.transaction((tx) => {
        const where = and(eq(apiTokens.id, id), eq(apiTokens.userId, userId));
        const before = tx
          .select({ ...cols, userId: apiTokens.userId })
          .from(apiTokens)
          .where(where)
          .get();
        if (!before) return false;
        tx.delete(apiTokens).where(where).run();
        writeAudit(tx, {
          actorId,
          siteId: null,
          entityType: 'token',
          entityId: id,
          action: 'delete',
          before: audited(before),
        });
        return true;
      });
    },
  };
}

export type TokensRepository = ReturnType<typeof tokensRepository>;
