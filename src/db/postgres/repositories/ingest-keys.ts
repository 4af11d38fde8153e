import { and, desc, eq, isNull } from 'drizzle-orm';
import { newId } from '../../ids.js';
import type { Repositories } from '../../repositories/index.js';
import type { IngestKeyRow } from '../../repositories/ingest-keys.js';
import { MINUTE_MS } from '../../../time.js';
import { writeTransaction, type PgDb } from '../client.js';
import { devices, ingestKeys, users } from '../schema.js';
import { writeAudit } from './audit.js';

/** What the audit trail keeps of a key: its scope and how to recognise it, never its hash. */
const audited = (k: { siteId: string; deviceId: string | null; name: string; prefix: string; createdAt: number }) => ({
  siteId: k.siteId,
  deviceId: k.deviceId,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt,
});

const listCols = {
  id: ingestKeys.id,
  siteId: ingestKeys.siteId,
  deviceId: ingestKeys.deviceId,
  deviceName: devices.name,
  name: ingestKeys.name,
  prefix: ingestKeys.prefix,
  createdBy: ingestKeys.createdBy,
  createdByName: users.name,
  createdAt: ingestKeys.createdAt,
  lastUsedAt: ingestKeys.lastUsedAt,
  revokedAt: ingestKeys.revokedAt,
};

export function pgIngestKeysRepository(db: PgDb): Repositories['ingestKeys'] {
  const select = () =>
    db
      .select(listCols)
      .from(ingestKeys)
      .leftJoin(devices, eq(devices.id, ingestKeys.deviceId))
      .leftJoin(users, eq(users.id, ingestKeys.createdBy));
  const findById = async (id: string): Promise<IngestKeyRow | null> =>
    (await select().where(eq(ingestKeys.id, id)))[0] ?? null;
  return {
    async create(input) {
      const row = { id: newId('ikey'), ...input, createdAt: Date.now(), lastUsedAt: null, revokedAt: null };
      await writeTransaction(db, async (tx) => {
        await tx.insert(ingestKeys).values(row);
        await writeAudit(tx, {
          actorId: input.createdBy,
          siteId: input.siteId,
          entityType: 'ingest_key',
          entityId: row.id,
          action: 'create',
          after: audited(row),
        });
      });
      return (await findById(row.id))!;
    },
    findById,
    async listForSite(siteId) {
      return select().where(eq(ingestKeys.siteId, siteId)).orderBy(desc(ingestKeys.createdAt), desc(ingestKeys.id));
    },
    async findActiveByHash(keyHash) {
      const [row] = await db
        .select({
          id: ingestKeys.id,
          siteId: ingestKeys.siteId,
          deviceId: ingestKeys.deviceId,
          lastUsedAt: ingestKeys.lastUsedAt,
        })
        .from(ingestKeys)
        .where(and(eq(ingestKeys.keyHash, keyHash), isNull(ingestKeys.revokedAt)));
      return row ?? null;
    },
    async touch(id, lastUsedAt, now = Date.now()) {
      if (lastUsedAt !== null && now - lastUsedAt <= MINUTE_MS) return false;
      await db.update(ingestKeys).set({ lastUsedAt: now }).where(eq(ingestKeys.id, id));
      return true;
    },
    async revoke(id, actorId, now = Date.now()) {
      return writeTransaction(db, async (tx) => {
        // The conditional update is the check: of two revocations, one changes the row, one finds it revoked.
        const [before] = await tx
          .update(ingestKeys)
          .set({ revokedAt: now })
          .where(and(eq(ingestKeys.id, id), isNull(ingestKeys.revokedAt)))
          .returning();
        if (!before) return false;
        await writeAudit(tx, {
          actorId,
          siteId: before.siteId,
          entityType: 'ingest_key',
          entityId: id,
          action: 'update',
          before: { ...audited(before), revokedAt: null },
          after: { ...audited(before), revokedAt: now },
        });
        return true;
      });
    },
  };
}
