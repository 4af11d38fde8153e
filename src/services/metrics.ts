import type { Repositories } from '../db/repositories/index.js';
import type { MetricChange, MetricInput } from '../db/repositories/metrics.js';
import { errors } from '../errors.js';
import { requireManageDevices, requireSite, requireView, type Actor } from './policy.js';
import { metricView } from './views.js';

/** A metric as clients send it: kind, interval, energy role and decimals may be left out. */
export type NewMetric = Omit<MetricInput, 'kind' | 'intervalSeconds' | 'energyRole' | 'decimals'> &
  Partial<Pick<MetricInput, 'kind' | 'intervalSeconds' | 'energyRole' | 'decimals'>>;

export const withMetricDefaults = (m: NewMetric): MetricInput => ({
  ...m,
  name: m.name.trim(),
  kind: m.kind ?? 'gauge',
  intervalSeconds: m.intervalSeconds ?? 60,
  energyRole: m.energyRole ?? null,
  decimals: m.decimals ?? null,
});

/** "Site / Device / Metric (unit)": how a metric is named among those of every site. */
export const metricLabel = (site: string, device: string, name: string, unit: string) =>
  `${site} / ${device} / ${name}${unit ? ` (${unit})` : ''}`;

type Device = {
  id: string;
  name: string;
  metrics: { id: string; name: string; unit: string; key: string; label: string }[];
};
export type CatalogueSite = { id: string; name: string; devices: Device[] };

const deviceNotFound = () => new errors.DEVICE_NOT_FOUND();
const metricNotFound = () => new errors.METRIC_NOT_FOUND();

function unwrap(result: MetricChange, key?: string) {
  switch (result.status) {
    case 'ok':
      return metricView(result.metric);
    case 'not_found':
      throw metricNotFound();
    case 'key_taken':
      throw new errors.METRIC_KEY_TAKEN(key ?? '');
    case 'last':
      throw new errors.LAST_METRIC();
  }
}

export function metricsService(repos: Repositories) {
  async function loadVisible(actor: Actor, metricId: string) {
    const metric = await repos.metrics.findById(metricId);
    requireView(actor, metric?.siteId, metricNotFound);
    return metric!;
  }

  return {
    async get(actor: Actor, metricId: string) {
      return metricView(await loadVisible(actor, metricId));
    },

    async listByDevice(actor: Actor, deviceId: string) {
      const device = await repos.devices.findById(deviceId);
      requireView(actor, device?.siteId, deviceNotFound);
      const now = Date.now();
      return (await repos.metrics.listByDevice(deviceId)).map((m) => metricView(m, now));
    },

    /** Every metric of a site with its latest value, in one call (the dashboard's poll). */
    async siteLatest(actor: Actor, siteId: string) {
      await requireSite(actor, siteId, repos.sites.exists, () => new errors.SITE_NOT_FOUND());
      const now = Date.now();
      // Assigned, not spread: spreading each fresh view into another object copies every field
      // again, which is most of the cost of building this answer (docs/performance.md, P2).
      return (await repos.metrics.listBySite(siteId)).map((m) =>
        Object.assign(metricView(m, now), { deviceName: m.deviceName, deviceType: m.deviceType }),
      );
    },

    /**
     * Every metric of every site the actor sees, by site and device (the subscription picker), in
     * one statement; sites without metrics are left out.
     */
    async catalogue(actor: Actor): Promise<CatalogueSite[]> {
      const sites = new Map<string, { id: string; name: string; devices: Map<string, Device> }>();
      for (const m of await repos.fleet.catalogue(actor.isAdmin ? null : actor.id)) {
        let site = sites.get(m.siteId);
        if (!site) sites.set(m.siteId, (site = { id: m.siteId, name: m.siteName, devices: new Map() }));
        let device = site.devices.get(m.deviceId);
        if (!device) site.devices.set(m.deviceId, (device = { id: m.deviceId, name: m.deviceName, metrics: [] }));
        const label = metricLabel(m.siteName, m.deviceName, m.name, m.unit);
        device.metrics.push({ id: m.id, name: m.name, unit: m.unit, key: m.key, label });
      }
      return [...sites.values()].map((s) => ({ ...s, devices: [...s.devices.values()] }));
    },

    async create(actor: Actor, deviceId: string, input: NewMetric) {
      const device = await repos.devices.findById(deviceId);
      requireManageDevices(actor, device?.siteId, deviceNotFound, 'add metrics on this site');
      return unwrap(await repos.metrics.create(device!, withMetricDefaults(input), actor.id), input.key);
    },

    async update(actor: Actor, metricId: string, patch: Partial<MetricInput>) {
      const metric = await loadVisible(actor, metricId);
      requireManageDevices(actor, metric.siteId, metricNotFound, 'change metrics on this site');
      // Trimmed like on create, so " SoC " and "SoC" are the same name.
      const changes = patch.name === undefined ? patch : { ...patch, name: patch.name.trim() };
      return unwrap(await repos.metrics.update(metricId, changes, actor.id), patch.key);
    },

    async delete(actor: Actor, metricId: string) {
      const metric = await loadVisible(actor, metricId);
      requireManageDevices(actor, metric.siteId, metricNotFound, 'delete metrics on this site');
      unwrap(await repos.metrics.delete(metricId, actor.id));
    },
  };
}

export type MetricsService = ReturnType<typeof metricsService>;
