import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import { apiTokens } from '../schema.js';
import { MINUTE_MS } from '../../time.js';

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

export function tokensRepository(db: Db) {
  const byHash = db.$client.prepare<
    [string],
    { id: string; userId: string; expiresAt: number | null; lastUsedAt: number | null }
  >(
    'SELECT id, user_id AS userId, expires_at AS expiresAt, last_used_at AS lastUsedAt FROM api_tokens WHERE token_hash = ?',
  );
  const touch = db.$client.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  return {
    async create(input: {
      userId: string;
      name: string;
      tokenHash: string;
      prefix: string;
      expiresAt: number | null;
    }): Promise<ApiToken> {
      const row = { id: newId('tok'), ...input, createdAt: Date.now(), lastUsedAt: null };
      db.insert(apiTokens).values(row).run();
      const { userId: _u, tokenHash: _h, ...token } = row;
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
    async delete(userId: string, id: string): Promise<boolean> {
      return (
        db
          .delete(apiTokens)
          .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId)))
          .run().changes > 0
      );
    },
  };
}

export type TokensRepository = ReturnType<typeof tokensRepository>;
