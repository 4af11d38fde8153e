import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import { devices, ingestKeys, users } from '../schema.js';
import { MINUTE_MS } from '../../time.js';
import { writeAudit } from './audit.js';

/** What a listing shows of a key: never its hash. */
export interface IngestKeyRow {
  id: string;
  siteId: string;
  deviceId: string | null;
  deviceName: string | null;
  name: string;
  prefix: string;
  createdBy: string | null;
  createdByName: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** What authentication needs of a key that may still write. */
export interface ActiveIngestKey {
  id: string;
  siteId: string;
  deviceId: string | null;
  lastUsedAt: number | null;
}

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

export function ingestKeysRepository(db: Db) {
  const byHash = db.$client.prepare<[string], ActiveIngestKey>(
    `SELECT id, site_id AS siteId, device_id AS deviceId, last_used_at AS lastUsedAt
       FROM ingest_keys WHERE key_hash = ? AND revoked_at IS NULL`,
  );
  const touch = db.$client.prepare('UPDATE ingest_keys SET last_used_at = ? WHERE id = ?');
  const select = () =>
    db
      .select(listCols)
      .from(ingestKeys)
      .leftJoin(devices, eq(devices.id, ingestKeys.deviceId))
      .leftJoin(users, eq(users.id, ingestKeys.createdBy));
  return {
    /** The key and its audit row on the site: one transaction. */
    async create(input: {
      siteId: string;
      deviceId: string | null;
      name: string;
      keyHash: string;
      prefix: string;
      /** null: made by Sitewatt itself (the simulator's keys). */
      createdBy: string | null;
    }): Promise<IngestKeyRow> {
      const row = { id: newId('ikey'), ...input, createdAt: Date.now(), lastUsedAt: null, revokedAt: null };
      db.transaction((tx) => {
        tx.insert(ingestKeys).values(row).run();
        writeAudit(tx, {
          actorId: input.createdBy,
          siteId: input.siteId,
          entityType: 'ingest_key',
          entityId: row.id,
          action: 'create',
          after: audited(row),
        });
      });
      return (await this.findById(row.id))!;
    },

    async findById(id: string): Promise<IngestKeyRow | null> {
      return select().where(eq(ingestKeys.id, id)).get() ?? null;
    },

    /** The site's keys, newest first, revoked ones included. */
    async listForSite(siteId: string): Promise<IngestKeyRow[]> {
      return select()
        .where(eq(ingestKeys.siteId, siteId))
        .orderBy(desc(ingestKeys.createdAt), desc(ingestKeys.id))
        .all();
    },

    /** A key that may write (not revoked; its site and device exist, or the cascade removed it). */
    async findActiveByHash(keyHash: string): Promise<ActiveIngestKey | null> {
      return byHash.get(keyHash) ?? null;
    },

    /** Writes last-used at most once a minute per key, to keep the hot path read-only; true when it wrote. */
    async touch(id: string, lastUsedAt: number | null, now = Date.now()): Promise<boolean> {
      if (lastUsedAt !== null && now - lastUsedAt <= MINUTE_MS) return false;
      touch.run(now, id);
      return true;
    },

    /** Revokes a key (once), with its audit row by `actorId`; false when it was already revoked. */
    async revoke(id: string, actorId: string | null, now = Date.now()): Promise<boolean> {
      return db.transaction((tx) => {
        const before = tx
          .select()
          .from(ingestKeys)
          .where(and(eq(ingestKeys.id, id), isNull(ingestKeys.revokedAt)))
          .get();
        if (!before) return false;
        tx.update(ingestKeys).set({ revokedAt: now }).where(eq(ingestKeys.id, id)).run();
        writeAudit(tx, {
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

export type IngestKeysRepository = ReturnType<typeof ingestKeysRepository>;
