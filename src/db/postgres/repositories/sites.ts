import { and, asc, eq, gt, or, sql, type SQL } from 'drizzle-orm';
import { newId } from '../../ids.js';
import type { Repositories } from '../../repositories/index.js';
import type { Site } from '../../repositories/sites.js';
import { decodeCursor, toPage } from '../../repositories/page.js';
import { writeTransaction, type PgDb, type PgTx } from '../client.js';
import { siteMembers, sites, users } from '../schema.js';
import { writeAudit } from './audit.js';
import { rebuildIfPending } from './dailies.js';
import { transaction } from './sql.js';

const cols = {
  id: sites.id,
  name: sites.name,
  description: sites.description,
  latitude: sites.latitude,
  longitude: sites.longitude,
  timezone: sites.timezone,
  createdAt: sites.createdAt,
  updatedAt: sites.updatedAt,
  // Table names spelled out: inside a subquery Drizzle would render bare, ambiguous column names.
  deviceCount: sql<number>`(SELECT count(*) FROM devices d WHERE d.site_id = "sites"."id")`.mapWith(Number),
};

/** The class of advisory locks that order upserts of one membership (the second key is the pair's hash). */
const MEMBERSHIP_LOCK = 16_001;

/** Escapes LIKE wildcards so a search for "100%" means the text, not a pattern. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function pgSitesRepository(db: PgDb): Repositories['sites'] {
  const find = async (tx: PgDb | PgTx, id: string): Promise<Site | null> =>
    (await tx.select(cols).from(sites).where(eq(sites.id, id)))[0] ?? null;
  const memberWhere = (siteId: string, userId: string) =>
    and(eq(siteMembers.siteId, siteId), eq(siteMembers.userId, userId));
  return {
    async exists(id) {
      return (await db.select({ id: sites.id }).from(sites).where(eq(sites.id, id))).length > 0;
    },
    findById: (id) => find(db, id),
    async list(opts) {
      const key = decodeCursor(opts.cursor);
      if (key === null) return null;
      const conds: (SQL | undefined)[] = [];
      // ILIKE: case-insensitive like SQLite's LIKE; under COLLATE "C" both fold ASCII letters only.
      if (opts.q) conds.push(sql`${sites.name} ILIKE ${likePattern(opts.q)} ESCAPE '\\'`);
      if (key)
        conds.push(or(gt(sites.name, String(key[0])), and(eq(sites.name, String(key[0])), gt(sites.id, key[1]))));
      if (opts.visibleTo !== null) {
        conds.push(
          sql`${sites.id} IN (SELECT ${siteMembers.siteId} FROM ${siteMembers} WHERE ${siteMembers.userId} = ${opts.visibleTo})`,
        );
      }
      const rows = await db
        .select(cols)
        .from(sites)
        .where(and(...conds))
        .orderBy(asc(sites.name), asc(sites.id))
        .limit(opts.limit + 1);
      return toPage(rows, opts.limit, (s) => [s.name, s.id]);
    },
    async create(input, actorId) {
      const now = Date.now();
      return writeTransaction(db, async (tx) => {
        const id = newId('site');
        // A new site has no readings: its (no) daily roll-ups are complete in its zone.
        await tx.insert(sites).values({ id, ...input, dailyTz: input.timezone, createdAt: now, updatedAt: now });
        const site = (await find(tx, id))!;
        await writeAudit(tx, { actorId, siteId: id, entityType: 'site', entityId: id, action: 'create', after: site });
        return site;
      });
    },
    async update(id, patch, actorId) {
      const done = await writeTransaction(db, async (tx) => {
        // FOR UPDATE: two edits of one site audit one after the other, each with the right "before".
        await tx.select({ id: sites.id }).from(sites).where(eq(sites.id, id)).for('update');
        const before = await find(tx, id);
        if (!before) return null;
        const zoneMoved = patch.timezone !== undefined && patch.timezone !== before.timezone;
        await tx
          .update(sites)
          .set({ ...patch, ...(zoneMoved ? { dailyTz: null } : {}), updatedAt: Date.now() })
          .where(eq(sites.id, id));
        const after = (await find(tx, id))!;
        await writeAudit(tx, {
          actorId,
          siteId: id,
          entityType: 'site',
          entityId: id,
          action: 'update',
          before,
          after,
        });
        return { after, zoneMoved };
      });
      // Local days move with the zone. The change commits with daily_tz null, so charts read the
      // hourly roll-ups (the same answers) until the daily ones are refolded in the new zone, here,
      // before the answer. The fold is its own transaction on a connection of its own (dailies.ts
      // speaks SQL to pg directly): it re-reads the site under FOR UPDATE and folds in whatever
      // zone is current by then, so two quick changes end in the last one's zone; a process that
      // stops in between leaves it to the start-up build, which finds the site the same way.
      if (done?.zoneMoved) await transaction(db.$client, (c) => rebuildIfPending(c, id));
      return done?.after ?? null;
    },
    async delete(id, actorId) {
      return writeTransaction(db, async (tx) => {
        const before = await find(tx, id);
        if (!before) return false;
        const gone = await tx.delete(sites).where(eq(sites.id, id)).returning({ id: sites.id });
        // Another request deleted it between our read and our delete: one audit row, theirs.
        if (gone.length === 0) return false;
        await writeAudit(tx, { actorId, siteId: id, entityType: 'site', entityId: id, action: 'delete', before });
        return true;
      });
    },
    async members(siteId) {
      return db
        .select({
          userId: users.id,
          email: users.email,
          name: users.name,
          role: siteMembers.role,
          createdAt: siteMembers.createdAt,
        })
        .from(siteMembers)
        .innerJoin(users, eq(users.id, siteMembers.userId))
        .where(eq(siteMembers.siteId, siteId))
        .orderBy(asc(users.email));
    },
    async setMember(siteId, userId, role, actorId) {
      return writeTransaction(db, async (tx) => {
        // Upserts of one membership take turns (a transaction-level advisory lock on the pair): a
        // second caller then finds the first one's row and changes it. Without the turn, an insert
        // that loses the race fires the version trigger for nothing, holding the version row while
        // it waits for the winner's membership row, which waits for the version row: a deadlock.
        // ON CONFLICT and the loop stay as a guard against writers that skip the lock.
        await tx.execute(
          sql`SELECT pg_advisory_xact_lock(${MEMBERSHIP_LOCK}, hashtext(${siteId} || ':' || ${userId}))`,
        );
        for (;;) {
          const [before] = await tx.select().from(siteMembers).where(memberWhere(siteId, userId)).for('update');
          let after;
          if (before) {
            [after] = await tx.update(siteMembers).set({ role }).where(memberWhere(siteId, userId)).returning();
          } else {
            [after] = await tx
              .insert(siteMembers)
              .values({ siteId, userId, role, createdAt: Date.now() })
              .onConflictDoNothing()
              .returning();
            if (!after) continue;
          }
          await writeAudit(tx, {
            actorId,
            siteId,
            entityType: 'membership',
            entityId: `${siteId}:${userId}`,
            action: before ? 'update' : 'create',
            before: before ?? undefined,
            after,
          });
          const [user] = await tx
            .select({ email: users.email, name: users.name })
            .from(users)
            .where(eq(users.id, userId));
          return { member: { userId, ...user, role: after.role, createdAt: after.createdAt }, created: !before };
        }
      });
    },
    async removeMember(siteId, userId, actorId) {
      return writeTransaction(db, async (tx) => {
        const [before] = await tx.delete(siteMembers).where(memberWhere(siteId, userId)).returning();
        if (!before) return false;
        await writeAudit(tx, {
          actorId,
          siteId,
          entityType: 'membership',
          entityId: `${siteId}:${userId}`,
          action: 'delete',
          before,
        });
        return true;
      });
    },
  };
}
