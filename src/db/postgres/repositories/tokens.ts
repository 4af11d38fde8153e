import { and, desc, eq } from 'drizzle-orm';
import { newId } from '../../ids.js';
import type { Repositories } from '../../repositories/index.js';
import type { ApiToken } from '../../repositories/tokens.js';
import { MINUTE_MS } from '../../../time.js';
import { writeTransaction, type PgDb, type PgTx } from '../client.js';
import { apiTokens } from '../schema.js';
import { writeAudit } from './audit.js';

const cols = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
};

/** What the audit trail keeps of a token: who it acts for and how to recognise it, never its hash. */
const audited = (t: ApiToken & { userId: string }) => ({
  userId: t.userId,
  name: t.name,
  prefix: t.prefix,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
});

/** Deletes every token of a user inside the caller's transaction, with an audit row each. */
export async function revokeAllInTx(tx: PgTx, userId: string, actorId: string | null): Promise<number> {
  const gone = await tx
    .delete(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .returning({ ...cols, userId: apiTokens.userId });
  for (const t of gone)
    await writeAudit(tx, {
      actorId,
      siteId: null,
      entityType: 'token',
      entityId: t.id,
      action: 'delete',
      before: audited(t),
    });
  return gone.length;
}

export function pgTokensRepository(db: PgDb): Repositories['tokens'] {
  return {
    async create(input, actorId = input.userId) {
      const row = { id: newId('tok'), ...input, createdAt: Date.now(), lastUsedAt: null };
      const { userId, tokenHash: _h, ...token } = row;
      await writeTransaction(db, async (tx) => {
        await tx.insert(apiTokens).values(row);
        await writeAudit(tx, {
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
    async listForUser(userId) {
      return db.select(cols).from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt));
    },
    async findByHash(tokenHash) {
      const [row] = await db
        .select({
          id: apiTokens.id,
          userId: apiTokens.userId,
          expiresAt: apiTokens.expiresAt,
          lastUsedAt: apiTokens.lastUsedAt,
        })
        .from(apiTokens)
        .where(eq(apiTokens.tokenHash, tokenHash));
      return row ?? null;
    },
    async touch(id, lastUsedAt, now = Date.now()) {
      if (lastUsedAt !== null && now - lastUsedAt <= MINUTE_MS) return false;
      await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, id));
      return true;
    },
    async delete(userId, id, actorId = userId) {
      return writeTransaction(db, async (tx) => {
        const [before] = await tx
          .delete(apiTokens)
          .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId)))
          .returning({ ...cols, userId: apiTokens.userId });
        if (!before) return false;
        await writeAudit(tx, {
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
