import { and, asc, count, eq, gt, inArray, or } from 'drizzle-orm';
import { newId } from '../../ids.js';
import type { Repositories } from '../../repositories/index.js';
import { EmailTaken, type Membership, type User } from '../../repositories/users.js';
import { writeTransaction, type PgDb } from '../client.js';
import { isUniqueViolation } from '../errors.js';
import { siteMembers, sites, users } from '../schema.js';
import { decodeCursor, toPage } from '../../repositories/page.js';
import { writeAudit } from './audit.js';
import { pgAccessVersion } from './catalogue-cache.js';
import { revokeAllInTx } from './tokens.js';

/** The unique index on users.email refusing a write (SQLSTATE 23505), as EmailTaken; anything else as it was. */
async function emailTaken<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err, 'users_email_unique')) throw new EmailTaken();
    throw err;
  }
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

export function pgUsersRepository(db: PgDb): Repositories['users'] {
  const find = async (tx: Pick<PgDb, 'select'>, id: string): Promise<User | undefined> =>
    (await tx.select(publicCols).from(users).where(eq(users.id, id)))[0];
  return {
    accessVersion: () => pgAccessVersion(db),
    async findById(id) {
      return (await find(db, id)) ?? null;
    },
    async findByEmailWithHash(email) {
      const [row] = await db
        .select({ ...publicCols, passwordHash: users.passwordHash })
        .from(users)
        .where(eq(users.email, email));
      return row ?? null;
    },
    async emailTaken(email, exceptId) {
      const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
      return !!row && row.id !== exceptId;
    },
    async list(limit, cursor) {
      const key = decodeCursor(cursor);
      if (key === null) return null;
      const where = key
        ? or(gt(users.email, String(key[0])), and(eq(users.email, String(key[0])), gt(users.id, key[1])))
        : undefined;
      const rows = await db
        .select(publicCols)
        .from(users)
        .where(where)
        .orderBy(asc(users.email), asc(users.id))
        .limit(limit + 1);
      return toPage(rows, limit, (u) => [u.email, u.id]);
    },
    async create(input, actorId) {
      const now = Date.now();
      const row = { id: newId('usr'), ...input, active: true, createdAt: now, updatedAt: now };
      return emailTaken(() =>
        writeTransaction(db, async (tx) => {
          await tx.insert(users).values(row);
          const { passwordHash: _omit, ...user } = row;
          await writeAudit(tx, {
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
    async update(id, patch, actorId, opts = {}) {
      return emailTaken(() =>
        writeTransaction(db, async (tx) => {
          // FOR UPDATE: two edits of one user audit one after the other, each with the right "before".
          const [before] = await tx.select(publicCols).from(users).where(eq(users.id, id)).for('update');
          if (!before) return null;
          const [after] = await tx
            .update(users)
            .set({ ...patch, updatedAt: Date.now() })
            .where(eq(users.id, id))
            .returning(publicCols);
          const { passwordHash, ...audited } = patch;
          await writeAudit(tx, {
            actorId,
            siteId: null,
            entityType: 'user',
            entityId: id,
            action: 'update',
            before,
            after: passwordHash ? { ...after, password: 'changed' } : { ...after, ...audited },
          });
          if (opts.revokeTokens) await revokeAllInTx(tx, id, actorId);
          return after;
        }),
      );
    },
    async delete(id, actorId) {
      return writeTransaction(db, async (tx) => {
        const [before] = await tx.delete(users).where(eq(users.id, id)).returning(publicCols);
        if (!before) return false;
        await writeAudit(tx, { actorId, siteId: null, entityType: 'user', entityId: id, action: 'delete', before });
        return true;
      });
    },
    async memberships(userId) {
      return db
        .select({ siteId: siteMembers.siteId, siteName: sites.name, role: siteMembers.role })
        .from(siteMembers)
        .innerJoin(sites, eq(sites.id, siteMembers.siteId))
        .where(eq(siteMembers.userId, userId))
        .orderBy(asc(sites.name));
    },
    async membershipsOfUsers(userIds) {
      const out = new Map<string, Membership[]>(userIds.map((id) => [id, []]));
      if (userIds.length === 0) return out;
      const rows = await db
        .select({
          userId: siteMembers.userId,
          siteId: siteMembers.siteId,
          siteName: sites.name,
          role: siteMembers.role,
        })
        .from(siteMembers)
        .innerJoin(sites, eq(sites.id, siteMembers.siteId))
        .where(inArray(siteMembers.userId, userIds))
        .orderBy(asc(sites.name), asc(sites.id));
      for (const { userId, ...m } of rows) out.get(userId)?.push(m);
      return out;
    },
    async count() {
      const [row] = await db.select({ n: count() }).from(users);
      return row.n;
    },
  };
}
