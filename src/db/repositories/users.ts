import { and, asc, count, eq, gt, or, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import { siteMembers, sites, users } from '../schema.js';
import { writeAudit } from './audit.js';
import { revokeAllInTx } from './tokens.js';
import { decodeCursor, toPage, type Page } from './page.js';

export type Role = 'viewer' | 'technician';

/**
 * The email belongs to another user. The service checks first, but hashing a password sits between
 * its check and the write, so two requests for one email can both pass it (a double-click on the
 * admin form): the unique index decides, and this is how the loser learns of it.
 */
export class EmailTaken extends Error {
  constructor() {
    super('email taken');
  }
}

/** better-sqlite3's refusal by the unique index on users.email, as EmailTaken; anything else as it was. */
function emailTaken<T>(write: () => T): T {
  try {
    return write();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && e.message?.includes('users.email')) throw new EmailTaken();
    throw err;
  }
}

export interface User {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface Membership {
  siteId: string;
  siteName: string;
  role: Role;
}

const publicCols = {
  id: users.id,
  email: users.email,
  name: users.name,
  isAdmin: users.isAdmin,
  active: users.active,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

export function usersRepository(db: Db) {
  // Hot path: every authenticated request loads its user and memberships. Prepared once.
  const byId = db
    .select(publicCols)
    .from(users)
    .where(eq(users.id, sql.placeholder('id')))
    .prepare();
  const membershipsOf = db
    .select({ siteId: siteMembers.siteId, siteName: sites.name, role: siteMembers.role })
    .from(siteMembers)
    .innerJoin(sites, eq(sites.id, siteMembers.siteId))
    .where(eq(siteMembers.userId, sql.placeholder('userId')))
    .orderBy(asc(sites.name))
    .prepare();
  // A page of users at once (the admin overview): the ids travel as one JSON array.
  const membershipsOfMany = db.$client.prepare<[string], Membership & { userId: string }>(
    `SELECT m.user_id AS userId, m.site_id AS siteId, s.name AS siteName, m.role
       FROM site_members m JOIN sites s ON s.id = m.site_id
      WHERE m.user_id IN (SELECT value FROM json_each(?))
      ORDER BY s.name, s.id`,
  );
  const version = db.$client.prepare<[], { version: number }>('SELECT version FROM access_version WHERE id = 1');
  return {
    /** Moves on every change to users, memberships, sites or tokens (triggers): caches check it. Null without its row. */
    async accessVersion(): Promise<number | null> {
      return version.get()?.version ?? null;
    },
    async findById(id: string): Promise<User | null> {
      return byId.get({ id }) ?? null;
    },
    async findByEmailWithHash(email: string): Promise<(User & { passwordHash: string }) | null> {
      return (
        db
          .select({ ...publicCols, passwordHash: users.passwordHash })
          .from(users)
          .where(eq(users.email, email))
          .get() ?? null
      );
    },
    async emailTaken(email: string, exceptId?: string): Promise<boolean> {
      const row = db.select({ id: users.id }).from(users).where(eq(users.email, email)).get();
      return !!row && row.id !== exceptId;
    },
    async list(limit: number, cursor?: string): Promise<Page<User> | null> {
      const key = decodeCursor(cursor);
      if (key === null) return null;
      const where = key
        ? or(gt(users.email, String(key[0])), and(eq(users.email, String(key[0])), gt(users.id, key[1])))
        : undefined;
      const rows = db
        .select(publicCols)
        .from(users)
        .where(where)
        .orderBy(asc(users.email), asc(users.id))
        .limit(limit + 1)
        .all();
      return toPage(rows, limit, (u) => [u.email, u.id]);
    },
    async create(
      input: { email: string; name: string; passwordHash: string; isAdmin: boolean },
      actorId: string | null,
    ): Promise<User> {
      const now = Date.now();
      const row = { id: newId('usr'), ...input, active: true, createdAt: now, updatedAt: now };
      return emailTaken(() =>
        db.transaction((tx) => {
          tx.insert(users).values(row).run();
          const { passwordHash: _omit, ...user } = row;
          writeAudit(tx, {
            actorId,
            siteId: null,
            entityType: 'user',
            entityId: row.id,
            action: 'create',
            after: user,
          });
          return user;
        }),
      );
    },
    async update(
      id: string,
      patch: Partial<{ email: string; name: string; passwordHash: string; isAdmin: boolean; active: boolean }>,
      actorId: string | null,
      opts: { revokeTokens?: boolean } = {},
    ): Promise<User | null> {
      return emailTaken(() =>
        db.transaction((tx) => {
          const before = tx.select(publicCols).from(users).where(eq(users.id, id)).get();
          if (!before) return null;
          tx.update(users)
            .set({ ...patch, updatedAt: Date.now() })
            .where(eq(users.id, id))
            .run();
          const after = tx.select(publicCols).from(users).where(eq(users.id, id)).get()!;
          const { passwordHash, ...audited } = patch;
          writeAudit(tx, {
            actorId,
            siteId: null,
            entityType: 'user',
            entityId: id,
            action: 'update',
            before,
            after: passwordHash ? { ...after, password: 'changed' } : { ...after, ...audited },
          });
          if (opts.revokeTokens) revokeAllInTx(tx, id, actorId);
          return after;
        }),
      );
    },
    async delete(id: string, actorId: string | null): Promise<boolean> {
      return db.transaction((tx) => {
        const before = tx.select(publicCols).from(users).where(eq(users.id, id)).get();
        if (!before) return false;
        tx.delete(users).where(eq(users.id, id)).run();
        writeAudit(tx, { actorId, siteId: null, entityType: 'user', entityId: id, action: 'delete', before });
        return true;
      });
    },
    async memberships(userId: string): Promise<Membership[]> {
      return membershipsOf.all({ userId });
    },
    /** Each user's memberships, by site name, in one statement. */
    async membershipsOfUsers(userIds: string[]): Promise<Map<string, Membership[]>> {
      const out = new Map<string, Membership[]>(userIds.map((id) => [id, []]));
      if (userIds.length === 0) return out;
      for (const { userId, ...m } of membershipsOfMany.all(JSON.stringify(userIds))) out.get(userId)?.push(m);
      return out;
    },
    async count(): Promise<number> {
      return db.select({ n: count() }).from(users).get()!.n;
    },
  };
}

export type UsersRepository = ReturnType<typeof usersRepository>;
