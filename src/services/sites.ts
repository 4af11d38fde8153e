import type { Repositories } from '../db/repositories/index.js';
import type { SiteInput } from '../db/repositories/sites.js';
import { errors } from '../errors.js';
import type { LiveHub } from './live.js';
import {
  accessTo,
  canReadMembers,
  requireAdmin,
  requireManageDevices,
  requireSiteAdmin,
  requireView,
  type Actor,
} from './policy.js';
import { siteMembers } from './site-members.js';
import { assertCoordinates, assertTimeZone, zoneName } from './validate.js';
import { iso, siteView } from './views.js';

export type CreateSiteInput = Partial<SiteInput> & { name: string };

const notFound = () => new errors.SITE_NOT_FOUND();

export function sitesService(repos: Repositories, hub: LiveHub) {
  async function load(actor: Actor, siteId: string) {
    requireView(actor, siteId, notFound);
    const site = await repos.sites.findById(siteId);
    if (!site) throw notFound();
    return site;
  }

  return {
    ...siteMembers(repos, hub, load),

    async list(actor: Actor, query: { q?: string; limit: number; cursor?: string }) {
      const page = await repos.sites.list({
        visibleTo: actor.isAdmin ? null : actor.id,
        ...query,
        q: query.q?.trim() || undefined,
      });
      if (!page) throw new errors.INVALID_CURSOR();
      return { items: page.items.map((s) => siteView(s, accessTo(actor, s.id))), nextCursor: page.nextCursor };
    },

    async get(actor: Actor, siteId: string) {
      return siteView(await load(actor, siteId), accessTo(actor, siteId));
    },

    async create(actor: Actor, input: CreateSiteInput) {
      requireAdmin(actor, 'create sites');
      assertTimeZone(input.timezone);
      assertCoordinates({ latitude: input.latitude ?? null, longitude: input.longitude ?? null });
      const site = await repos.sites.create(
        {
          name: input.name.trim(),
          description: input.description ?? '',
          latitude: input.latitude ?? null,
          longitude: input.longitude ?? null,
          timezone: zoneName(input.timezone ?? 'UTC'),
        },
        actor.id,
      );
      return siteView(site, 'admin');
    },

    async update(actor: Actor, siteId: string, patch: Partial<SiteInput>) {
      requireSiteAdmin(actor, siteId, 'change sites');
      assertTimeZone(patch.timezone);
      const current = await load(actor, siteId);
      assertCoordinates({
        latitude: patch.latitude !== undefined ? patch.latitude : current.latitude,
        longitude: patch.longitude !== undefined ? patch.longitude : current.longitude,
      });
      const site = await repos.sites.update(
        siteId,
        {
          ...patch,
          ...(patch.name ? { name: patch.name.trim() } : {}),
          ...(patch.timezone ? { timezone: zoneName(patch.timezone) } : {}),
        },
        actor.id,
      );
      if (!site) throw notFound();
      return siteView(site, 'admin');
    },

    /** The site, for the page that asks before deleting it: its members 403, anyone else 404. */
    async deletable(actor: Actor, siteId: string) {
      requireSiteAdmin(actor, siteId, 'delete sites');
      return siteView(await load(actor, siteId), 'admin');
    },

    /** The site, where the actor may add devices (technicians, admins): viewers 403, anyone else 404. */
    async manageable(actor: Actor, siteId: string) {
      const site = await load(actor, siteId);
      requireManageDevices(actor, siteId, notFound, 'add devices to this site');
      return siteView(site, accessTo(actor, siteId));
    },

    async delete(actor: Actor, siteId: string) {
      requireSiteAdmin(actor, siteId, 'delete sites');
      if (!(await repos.sites.delete(siteId, actor.id))) throw notFound();
      hub.accessChanged(null);
    },

    /**
     * The audit trail: technicians of the site and admins; viewers get 403. Its membership rows name
     * members and their roles, so only those who may read the members see them; webhook rows only admins.
     */
    async audit(actor: Actor, siteId: string, query: { limit: number; cursor?: string; entityId?: string }) {
      await load(actor, siteId);
      const access = accessTo(actor, siteId);
      if (access !== 'admin' && access !== 'technician') throw new errors.FORBIDDEN('read the audit log');
      // parseInt alone would read "abc!" as "abc": only a cursor we made is accepted.
      const before =
        query.cursor === undefined
          ? undefined
          : /^[0-9a-z]{1,12}$/.test(query.cursor)
            ? Number.parseInt(query.cursor, 36)
            : NaN;
      if (before !== undefined && !(before > 0)) throw new errors.INVALID_CURSOR();
      // Webhooks are admins' (their URL may carry a credential), so their rows are too.
      const hidden = [
        ...(canReadMembers(actor, siteId) ? [] : ['membership' as const]),
        ...(actor.isAdmin ? [] : ['webhook' as const]),
      ];
      const rows = await repos.audit.list(
        { siteId, entityId: query.entityId, exceptTypes: hidden },
        query.limit + 1,
        before,
      );
      const items = rows.slice(0, query.limit);
      return {
        items: items.map((r) => ({ ...r, id: String(r.id), at: iso(r.at) })),
        nextCursor: rows.length > query.limit ? items[items.length - 1].id.toString(36) : null,
      };
    },
  };
}

export type SitesService = ReturnType<typeof sitesService>;
