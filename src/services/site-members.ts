// A site's members and their roles. Admins only: the site's members get 403, anyone else the
// site's 404. Part of the sites service (services.sites.members, …).
import type { Repositories } from '../db/repositories/index.js';
import type { Member, Site } from '../db/repositories/sites.js';
import type { Role } from '../db/repositories/users.js';
import { errors, invalid } from '../errors.js';
import type { LiveHub } from './live.js';
import { requireSiteAdmin, type Actor } from './policy.js';
import { iso } from './views.js';

const view = (m: Member) => ({ ...m, createdAt: iso(m.createdAt) });

export function siteMembers(repos: Repositories, hub: LiveHub, load: (actor: Actor, siteId: string) => Promise<Site>) {
  async function allowed(actor: Actor, siteId: string) {
    requireSiteAdmin(actor, siteId, 'manage site members');
    await load(actor, siteId);
  }

  async function set(actor: Actor, siteId: string, userId: string, role: Role) {
    const { member, created } = await repos.sites.setMember(siteId, userId, role, actor.id);
    hub.accessChanged(userId);
    return { member: view(member), created };
  }

  return {
    async members(actor: Actor, siteId: string) {
      await allowed(actor, siteId);
      return (await repos.sites.members(siteId)).map(view);
    },

    /** A current member, or MEMBER_NOT_FOUND (a page drawn before they left, or were deleted). */
    async member(actor: Actor, siteId: string, userId: string) {
      await allowed(actor, siteId);
      const member = (await repos.sites.members(siteId)).find((m) => m.userId === userId);
      if (!member) throw new errors.MEMBER_NOT_FOUND();
      return view(member);
    },

    /** Adds a member or changes their role. */
    async setMember(actor: Actor, siteId: string, userId: string, role: Role) {
      await allowed(actor, siteId);
      if (!(await repos.users.findById(userId))) throw new errors.USER_NOT_FOUND();
      return set(actor, siteId, userId, role);
    },

    /**
     * Adds someone who is not a member yet, named by id or by email in any case (past the people a
     * form can list). Adding is not changing: a current member is refused, their role kept.
     */
    async addMember(actor: Actor, siteId: string, input: { userId?: string; email?: string; role: Role }) {
      await allowed(actor, siteId);
      const { userId, role } = input;
      const email = input.email?.trim().toLowerCase();
      const field = userId ? '/userId' : '/email';
      if (!userId && !email)
        throw invalid([{ path: input.email === undefined ? '/userId' : '/email', message: 'is required' }]);
      const user = userId ? await repos.users.findById(userId) : await repos.users.findByEmailWithHash(email!);
      if (!user && userId) throw new errors.USER_NOT_FOUND();
      if (!user) throw invalid([{ path: '/email', message: 'matches no one: check the address.' }]);
      if ((await repos.sites.members(siteId)).some((m) => m.userId === user.id))
        throw invalid([{ path: field, message: 'is already a member: change their role in the list.' }]);
      return (await set(actor, siteId, user.id, role)).member;
    },

    async removeMember(actor: Actor, siteId: string, userId: string) {
      await allowed(actor, siteId);
      if (!(await repos.sites.removeMember(siteId, userId, actor.id))) throw new errors.MEMBER_NOT_FOUND();
      hub.accessChanged(userId);
    },
  };
}
