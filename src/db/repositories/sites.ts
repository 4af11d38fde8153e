import { and, asc, eq, gt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import { siteMembers, sites, users } from '../schema.js';
import { writeAudit } from './audit.js';
import { dailyRollups } from './dailies.js';
import { decodeCursor, toPage, type Page } from './page.js';
import type { Role } from './users.js';

export interface Site {
  id: string;
  name: string;
  description: string;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  createdAt: number;
  updatedAt: number;
  deviceCount: number;
}

export type SiteInput = Pick<Site, 'name' | 'description' | 'latitude' | 'longitude' | 'timezone'>;

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: number;
}

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

/** Escapes LIKE wildcards so a search for "100%" means the text, not a pattern. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function sitesRepository(db: Db) {
  const dailies = dailyRollups(db.$client);
  const find = (tx: Pick<Db, 'select'>, id: string) =>
    tx.select(cols).from(sites).where(eq(sites.id, id)).get() ?? null;
  const exists = db
    .select({ id: sites.id })
    .from(sites)
    .where(eq(sites.id, sql.placeholder('id')))
    .prepare();
  // Prepared once: every site page and site-scoped request reads the site.
  const byId = db
    .select(cols)
    .from(sites)
    .where(eq(sites.id, sql.placeholder('id')))
    .prepare();
  return {
    /** Cheaper than findById when only existence matters (hot paths). */
    async exists(id: string): Promise<boolean> {
      return exists.get({ id }) !== undefined;
    },
    async findById(id: string): Promise<Site | null> {
      return byId.get({ id }) ?? null;
    },
    /** visibleTo: a user id to restrict to that user's memberships, or null for every site (admins). */
    async list(opts: {
      visibleTo: string | null;
      q?: string;
      limit: number;
      cursor?: string;
    }): Promise<Page<Site> | null> {
      const key = decodeCursor(opts.cursor);
      if (key === null) return null;
      const conds: (SQL | undefined)[] = [];
      if (opts.q) conds.push(sql`${sites.name} LIKE ${likePattern(opts.q)} ESCAPE '\\'`);
      if (key)
        conds.push(or(gt(sites.name, String(key[0])), and(eq(sites.name, String(key[0])), gt(sites.id, key[1]))));
      if (opts.visibleTo !== null) {
        conds.push(
          sql`${sites.id} IN (SELECT ${siteMembers.siteId} FROM ${siteMembers} WHERE ${siteMembers.userId} = ${opts.visibleTo})`,
        );
      }
      const rows = db
        .select(cols)
        .from(sites)
        .where(and(...conds))
        .orderBy(asc(sites.name), asc(sites.id))
        .limit(opts.limit + 1)
        .all();
      return toPage(rows, opts.limit, (s) => [s.name, s.id]);
    },
    async create(input: SiteInput, actorId: string | null): Promise<Site> {
      const now = Date.now();
      return db.transaction((tx) => {
        const id = newId('site');
        // A new site has no readings: its (no) daily roll-ups are complete in its zone.
        tx.insert(sites)
          .values({ id, ...input, dailyTz: input.timezone, createdAt: now, updatedAt: now })
          .run();
        const site = find(tx, id)!;
        writeAudit(tx, { actorId, siteId: id, entityType: 'site', entityId: id, action: 'create', after: site });
        return site;
      });
    },
    async update(id: string, patch: Partial<SiteInput>, actorId: string | null): Promise<Site | null> {
      return db.transaction((tx) => {
        const before = find(tx, id);
        if (!before) return null;
        tx.update(sites)
          .set({ ...patch, updatedAt: Date.now() })
          .where(eq(sites.id, id))
          .run();
        // Local days move with the zone: the daily roll-ups are refolded from the hourly ones.
        if (patch.timezone !== undefined && patch.timezone !== before.timezone) dailies.rebuildSite(id, patch.timezone);
        const after = find(tx, id)!;
        writeAudit(tx, { actorId, siteId: id, entityType: 'site', entityId: id, action: 'update', before, after });
        return after;
      });
    },
    async delete(id: string, actorId: string | null): Promise<boolean> {
      return db.transaction((tx) => {
        const before = find(tx, id);
        if (!before) return false;
        tx.delete(sites).where(eq(sites.id, id)).run();
        writeAudit(tx, { actorId, siteId: id, entityType: 'site', entityId: id, action: 'delete', before });
        return true;
      });
    },
    async members(siteId: string): Promise<Member[]> {
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
        .orderBy(asc(users.email))
        .all();
    },
    async setMember(
      siteId: string,
      userId: string,
      role: Role,
      actorId: string | null,
    ): Promise<{ member: Member; created: boolean }> {
      return db.transaction((tx) => {
        const before = tx
          .select()
          .from(siteMembers)
          .where(and(eq(siteMembers.siteId, siteId), eq(siteMembers.userId, userId)))
          .get();
        if (before) {
          tx.update(siteMembers)
            .set({ role })
            .where(and(eq(siteMembers.siteId, siteId), eq(siteMembers.userId, userId)))
            .run();
        } else {
          tx.insert(siteMembers).values({ siteId, userId, role, createdAt: Date.now() }).run();
        }
        const after = tx
          .select()
          .from(siteMembers)
          .where(and(eq(siteMembers.siteId, siteId), eq(siteMembers.userId, userId)))
          .get()!;
        writeAudit(tx, {
          actorId,
          siteId,
          entityType: 'membership',
          entityId: `${siteId}:${userId}`,
          action: before ? 'update' : 'create',
          before: before ?? undefined,
          after,
        });
        const user = tx.select({ email: users.email, name: users.name }).from(users).where(eq(users.id, userId)).get()!;
        return { member: { userId, ...user, role: after.role, createdAt: after.createdAt }, created: !before };
      });
    },
    async removeMember(siteId: string, userId: string, actorId: string | null): Promise<boolean> {
      return db.transaction((tx) => {
        const where = and(eq(siteMembers.siteId, siteId), eq(siteMembers.userId, userId));
        const before = tx.select().from(siteMembers).where(where).get();
        if (!before) return false;
        tx.delete(siteMembers).where(where).run();
        writeAudit(tx, {
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

export type SitesRepository = ReturnType<typeof sitesRepository>;
