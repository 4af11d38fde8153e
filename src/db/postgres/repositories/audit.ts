import { and, desc, eq, getTableColumns, lt, notInArray, type SQL } from 'drizzle-orm';
import type { AuditEntry, AuditRecord, NamedAuditRecord } from '../../repositories/audit.js';
import type { Repositories } from '../../repositories/index.js';
import type { PgDb, PgTx } from '../client.js';
import { auditLog, users } from '../schema.js';

/** Called inside the transaction of the change it records, so both commit or neither does. */
export async function writeAudit(tx: PgDb | PgTx, entry: AuditEntry, at = Date.now()): Promise<void> {
  await tx.insert(auditLog).values({
    at,
    actorId: entry.actorId,
    siteId: entry.siteId,
    entityType: entry.entityType,
    entityId: entry.entityId,
    action: entry.action,
    before: entry.before === undefined ? null : JSON.stringify(entry.before),
    after: entry.after === undefined ? null : JSON.stringify(entry.after),
  });
}

const parsed = <T extends { before: string | null; after: string | null }>(r: T) => ({
  ...r,
  before: r.before === null ? null : (JSON.parse(r.before) as unknown),
  after: r.after === null ? null : (JSON.parse(r.after) as unknown),
});

export function pgAuditRepository(db: PgDb): Repositories['audit'] {
  return {
    async named(filter, limit): Promise<NamedAuditRecord[]> {
      const rows = await db
        .select({ ...getTableColumns(auditLog), actorName: users.name })
        .from(auditLog)
        .leftJoin(users, eq(users.id, auditLog.actorId))
        .where(and(eq(auditLog.siteId, filter.siteId), eq(auditLog.entityId, filter.entityId)))
        .orderBy(desc(auditLog.id))
        .limit(limit);
      return rows.map(parsed);
    },
    async list(filter, limit, beforeId): Promise<AuditRecord[]> {
      const conds: SQL[] = [];
      if (filter.siteId) conds.push(eq(auditLog.siteId, filter.siteId));
      if (filter.entityId) conds.push(eq(auditLog.entityId, filter.entityId));
      if (filter.exceptTypes?.length) conds.push(notInArray(auditLog.entityType, filter.exceptTypes));
      if (beforeId !== undefined) conds.push(lt(auditLog.id, beforeId));
      const rows = await db
        .select()
        .from(auditLog)
        .where(and(...conds))
        .orderBy(desc(auditLog.id))
        .limit(limit);
      return rows.map(parsed);
    },
  };
}
