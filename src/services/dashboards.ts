// What the pages show beyond the API's resources: the sites with their headline figures, a site
// with its devices' latest values, a device with its change history, the admin overview. Each
// method decides what the actor may see and do (`canEdit`), like every service.
import type { Repositories } from '../db/repositories/index.js';
import type { AlarmsService } from './alarms.js';
import { historyEntry } from './device-history.js';
import type { DevicesService } from './devices.js';
import type { IngestKeysService } from './ingest-keys.js';
import type { EnergyService } from './energy.js';
import type { MetricsService } from './metrics.js';
import { canManageDevices, requireAdmin, type Actor } from './policy.js';
import { byDevice, summarize } from './site-summary.js';
import type { SitesService } from './sites.js';
import type { UsersService } from './users.js';
import { isStale } from './views.js';

/** Changes a device's page lists, newest first. */
const HISTORY = 20;

type Services = {
  sites: SitesService;
  devices: DevicesService;
  metrics: MetricsService;
  users: UsersService;
  ingestKeys: IngestKeysService;
  energy: EnergyService;
  alarms: AlarmsService;
};

export const OVERVIEW_SORTS = ['name', 'produced', 'consumed', 'net', 'power', 'grid', 'stale', 'alarms'] as const;
export type OverviewSort = (typeof OVERVIEW_SORTS)[number];
type Summarized = Parameters<typeof summarize>[0][number];

export function dashboardsService(repos: Repositories, services: Services) {
  return {
    /** A page of the sites the actor sees, each with its headline figures: one read for all their metrics. */
    async sites(actor: Actor, query: { q?: string; limit: number; cursor?: string }) {
      const page = await services.sites.list(actor, query);
      const now = Date.now();
      const bySite = new Map<string, Summarized[]>();
      for (const m of await repos.fleet.latestOfSites(page.items.map((s) => s.id))) {
        const latest =
          m.latestTs === null || m.latestValue === null
            ? null
            : { value: m.latestValue, stale: isStale(m.latestTs, m.intervalSeconds, now) };
        const metric = { key: m.key, unit: m.unit, deviceType: m.deviceType, latest };
        const list = bySite.get(m.siteId);
        if (list) list.push(metric);
        else bySite.set(m.siteId, [metric]);
      }
      return {
        items: page.items.map((site) => ({ ...site, summary: summarize(bySite.get(site.id) ?? []) })),
        nextCursor: page.nextCursor,
      };
    },

    /** A site, its first `limit` devices with their latest values, and whether the actor may add and change devices. */
    async site(actor: Actor, siteId: string, limit: number) {
      const site = await services.sites.get(actor, siteId);
      const [devices, metrics] = await Promise.all([
        services.devices.list(actor, site.id, { limit }),
        services.metrics.siteLatest(actor, site.id),
      ]);
      const grouped = byDevice(metrics);
      return {
        site,
        canEdit: canManageDevices(actor, site.id),
        devices: devices.items.map((d) => Object.assign(d, { metrics: grouped.get(d.id) ?? [] })), // not spread: see siteLatest
        summary: summarize(metrics),
        // A site without energy roles has no energy page to link to.
        hasEnergy: metrics.some((m) => m.energyRole !== null),
        moreDevices: devices.nextCursor !== null,
      };
    },

    /** A site's ingest keys and the devices a new key may be limited to (technicians of the site, admins). */
    async ingestKeys(actor: Actor, siteId: string, limit: number) {
      const keys = await services.ingestKeys.list(actor, siteId);
      const [site, devices] = await Promise.all([
        services.sites.get(actor, siteId),
        services.devices.list(actor, siteId, { limit }),
      ]);
      return { site, keys, devices: devices.items.map((d) => ({ id: d.id, name: d.name })) };
    },

    /**
     * The landing page: today's and this month's energy over the actor's sites, and a table of the
     * first `limit` sites by name with today's energy, power now (from the power-gauge roles), stale
     * metrics and active alarms, sorted by
     * `sort` (a site without the figure comes last either way).
     */
    async overview(actor: Actor, limit: number, sort: OverviewSort = 'name', dir: 'asc' | 'desc' = 'asc') {
      const [page, energy, alarms] = await Promise.all([
        this.sites(actor, { limit }),
        services.energy.current(actor),
        services.alarms.activeBySite(actor),
      ]);
      const rows = page.items.map((site) => {
        const mine = energy.sites.get(site.id);
        const today = mine?.today ?? null;
        const power = mine?.power ?? null;
        const net =
          today && today.gridImport !== null && today.gridExport !== null ? today.gridImport - today.gridExport : null;
        return {
          site,
          today,
          net: net === null ? null : Math.round(net * 1e6) / 1e6,
          power,
          alarms: alarms.get(site.id) ?? 0,
          values: {
            name: site.name,
            produced: today?.production ?? null,
            consumed: today?.consumption ?? null,
            net,
            power: power?.production ?? null,
            grid: power?.grid ?? null,
            stale: site.summary.stale,
            alarms: alarms.get(site.id) ?? 0,
          } satisfies Record<OverviewSort, string | number | null>,
        };
      });
      const sign = dir === 'asc' ? 1 : -1;
      rows.sort((a, b) => {
        const [x, y] = [a.values[sort], b.values[sort]];
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        return sign * (typeof x === 'string' ? x.localeCompare(String(y)) : x - Number(y));
      });
      return {
        today: energy.today,
        month: energy.month,
        power: energy.power,
        rows,
        more: page.nextCursor !== null,
        sort,
        dir,
      };
    },

    /**
     * A device and its site; its change history with the names of who made each change (one
     * statement) only for those who may change it (technicians, admins), null for viewers.
     */
    async device(actor: Actor, deviceId: string) {
      const { etag: _etag, ...device } = await services.devices.get(actor, deviceId);
      const site = await services.sites.get(actor, device.siteId);
      const canEdit = canManageDevices(actor, site.id);
      const history = canEdit
        ? (await repos.audit.named({ siteId: site.id, entityId: device.id }, HISTORY)).map(historyEntry)
        : null;
      return { device, site, canEdit, history };
    },

    /** The admin overview: a page of users (with their site roles) and a page of sites, each from its own cursor. */
    async admin(actor: Actor, pages: { users?: string; sites?: string }, limit: number) {
      requireAdmin(actor, 'administer Sitewatt');
      const [users, sites] = await Promise.all([
        services.users.list(actor, { limit, cursor: pages.users }),
        services.sites.list(actor, { limit, cursor: pages.sites }),
      ]);
      // Each person's site roles beside them, so an admin sees who may do what without opening every site.
      const roles = await repos.users.membershipsOfUsers(users.items.map((u) => u.id));
      const withRoles = users.items.map((u) => ({ ...u, siteRoles: roles.get(u.id) ?? [] }));
      return { users: { ...users, items: withRoles }, sites };
    },
  };
}

export type DashboardsService = ReturnType<typeof dashboardsService>;
