import { and, desc, eq, getTableColumns, lt, notInArray, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import { auditLog, users } from '../schema.js';

export interface AuditEntry {
  actorId: string | null;
  siteId: string | null;
  entityType: 'site' | 'device' | 'metric' | 'membership' | 'user' | 'token' | 'ingest_key' | 'alarm_rule' | 'webhook';
  entityId: string;
  action: 'create' | 'update' | 'delete';
  before?: unknown;
  after?: unknown;
}

export interface AuditRecord {
  id: number;
  at: number;
  actorId: string | null;
  siteId: string | null;
  entityType: string;
  entityId: string;
  action: string;
  before: unknown;
  after: unknown;
}

/** Called inside the transaction of the change it records, so both commit or neither does. */
export function writeAudit(tx: Pick<Db, 'insert'>, entry: AuditEntry, at = Date.now()): void {
  tx.insert(auditLog)
    .values({
      at,
      actorId: entry.actorId,
      siteId: entry.siteId,
      entityType: entry.entityType,
      entityId: entry.entityId,
      action: entry.action,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    })
    .run();
}

/** A record with the name of whoever made the change (null: the system, or a user deleted since). */
export type NamedAuditRecord = AuditRecord & { actorName: string | null };

const parsed = <T extends { before: string | null; after: string | null }>(r: T) => ({
  ...r,
  before: r.before === null ? null : (JSON.parse(r.before) as unknown),
  after: r.after === null ? null : (JSON.parse(r.after) as unknown),
});

export function auditRepository(db: Db) {
  return {
    /** An entity's latest records on a site, newest first, with the actors' names in the same statement. */
    async named(filter: { siteId: string; entityId: string }, limit: number): Promise<NamedAuditRecord[]> {
      return db
        .select({ ...getTableColumns(auditLog), actorName: users.name })
        .from(auditLog)
        .leftJoin(users, eq(users.id, auditLog.actorId))
        .where(and(eq(auditLog.siteId, filter.siteId), eq(auditLog.entityId, filter.entityId)))
        .orderBy(desc(auditLog.id))
        .limit(limit)
        .all()
        .map(parsed);
    },
    /** Newest first; `before` is the id cursor. */
    async list(
      filter: { siteId?: string; entityId?: string; exceptTypes?: AuditEntry['entityType'][] },
      limit: number,
      beforeId?: number,
    ): Promise<AuditRecord[]> {
      const conds: SQL[] = [];
      if (filter.siteId) conds.push(eq(auditLog.siteId, filter.siteId));
      if (filter.entityId) conds.push(eq(auditLog.entityId, filter.entityId));
      if (filter.exceptTypes?.length) conds.push(notInArray(auditLog.entityType, filter.exceptTypes));
      if (beforeId !== undefined) conds.push(lt(auditLog.id, beforeId));
      const rows = db
        .select()
        .from(auditLog)
        .where(and(...conds))
        .orderBy(desc(auditLog.id))
        .limit(limit)
        .all();
      return rows.map(parsed);
    },
  };
}
