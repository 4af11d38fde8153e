import type { Repositories } from '../db/repositories/index.js';
import { EmailTaken } from '../db/repositories/users.js';
import { errors, invalid } from '../errors.js';
import type { LiveHub } from './live.js';
import { hashPassword } from './passwords.js';
import { requireAdmin, type Actor } from './policy.js';
import { userView } from './views.js';

export interface CreateUserInput {
  email: string;
  name: string;
  password: string;
  isAdmin?: boolean;
}

export type UpdateUserInput = Partial<{
  email: string;
  name: string;
  password: string;
  isAdmin: boolean;
  active: boolean;
}>;

/** A race lost at the unique index (see EmailTaken) answers like the check before it: 409. */
async function emailUnique<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof EmailTaken) throw new errors.EMAIL_TAKEN();
    throw err;
  }
}

export function usersService(repos: Repositories, hub: LiveHub) {
  return {
    async list(actor: Actor, page: { limit: number; cursor?: string }) {
      requireAdmin(actor, 'list users');
      const result = await repos.users.list(page.limit, page.cursor);
      if (!result) throw new errors.INVALID_CURSOR();
      return { items: result.items.map(userView), nextCursor: result.nextCursor };
    },

    async create(actor: Actor, input: CreateUserInput) {
      requireAdmin(actor, 'create users');
      const email = input.email.trim().toLowerCase();
      if (await repos.users.emailTaken(email)) throw new errors.EMAIL_TAKEN();
      const passwordHash = await hashPassword(input.password);
      const user = await emailUnique(
        repos.users.create({ email, name: input.name.trim(), passwordHash, isAdmin: input.isAdmin ?? false }, actor.id),
      );
      return userView(user);
    },

    async update(actor: Actor, userId: string, input: UpdateUserInput) {
      requireAdmin(actor, 'change users');
      // An admin cannot lock themselves out; another admin must do it.
      if (userId === actor.id && (input.active === false || input.isAdmin === false)) {
        throw invalid([
          {
            path: input.active === false ? '/active' : '/isAdmin',
            message: 'You cannot deactivate or demote yourself',
          },
        ]);
      }
      const email = input.email?.trim().toLowerCase();
      if (email && (await repos.users.emailTaken(email, userId))) throw new errors.EMAIL_TAKEN();
      const { password, ...rest } = input;
      const patch = {
        ...rest,
        ...(email ? { email } : {}),
        ...(rest.name ? { name: rest.name.trim() } : {}),
        ...(password ? { passwordHash: await hashPassword(password) } : {}),
      };
      // A deactivated account or a new password ends every credential of that user: its tokens with
      // the change (reactivation brings none back), then its sessions.
      const revoke = input.active === false || !!password;
      const user = await emailUnique(repos.users.update(userId, patch, actor.id, { revokeTokens: revoke }));
      if (!user) throw new errors.USER_NOT_FOUND();
      if (revoke) await repos.sessions.destroyForUser(userId);
      if (revoke || input.isAdmin === false) hub.accessChanged(userId);
      return userView(user);
    },

    /** A user, or null when there is none (the admin pages name someone who may be gone since). */
    async find(actor: Actor, userId: string) {
      requireAdmin(actor, 'read users');
      const user = await repos.users.findById(userId);
      return user ? userView(user) : null;
    },

    /** A user by email, in any case (the admin's member form, past the 200 people it lists). */
    async findByEmail(actor: Actor, email: string) {
      requireAdmin(actor, 'read users');
      const user = await repos.users.findByEmailWithHash(email.trim().toLowerCase());
      if (!user) throw new errors.USER_NOT_FOUND();
      return userView(user);
    },

    async delete(actor: Actor, userId: string) {
      requireAdmin(actor, 'delete users');
      if (userId === actor.id) throw invalid([{ path: '/userId', message: 'You cannot delete yourself' }]);
      if (!(await repos.users.delete(userId, actor.id))) throw new errors.USER_NOT_FOUND();
      await repos.sessions.destroyForUser(userId);
      hub.accessChanged(userId);
    },
  };
}

export type UsersService = ReturnType<typeof usersService>;
