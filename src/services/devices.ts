import type { DeviceInput, MetricProblem } from '../db/repositories/devices.js';
import type { Repositories } from '../db/repositories/index.js';
import { errors, invalid } from '../errors.js';
import { defaultMetricsFor, type DeviceType } from '../domain/device-types.js';
import { withMetricDefaults, type NewMetric } from './metrics.js';
import { requireManageDevices, requireSite, requireView, type Actor } from './policy.js';
import { deviceEtag, deviceView, metricView } from './views.js';

export type CreateDeviceInput = {
  name: string;
  type: DeviceType;
  manufacturer?: string | null;
  model?: string | null;
  serialNumber?: string | null;
  ratedPowerKw?: number | null;
  metrics?: NewMetric[];
};
export type UpdateDeviceInput = Partial<Omit<CreateDeviceInput, 'metrics'>>;
/** The edit form's whole list: rows with an id change that metric, rows without one are added, the rest are deleted. */
export type UpdateDeviceWithMetricsInput = UpdateDeviceInput & { metrics: (NewMetric & { id?: string })[] };

const siteNotFound = () => new errors.SITE_NOT_FOUND();
const deviceNotFound = () => new errors.DEVICE_NOT_FOUND();

/** Parses If-Match (`"v3"`, `W/"v3"` or `*`) into the expected version; garbage never matches. */
export function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const m = /^(?:W\/)?"v(\d+)"$/.exec(ifMatch.trim());
  return m ? Number(m[1]) : -1;
}

export function devicesService(repos: Repositories) {
  async function loadVisible(actor: Actor, deviceId: string) {
    const device = await repos.devices.findById(deviceId);
    requireView(actor, device?.siteId, deviceNotFound);
    return device!;
  }

  const withMetrics = async (device: Awaited<ReturnType<typeof loadVisible>>) => {
    const now = Date.now();
    return {
      ...deviceView(device),
      metrics: (await repos.metrics.listByDevice(device.id)).map((m) => metricView(m, now)),
      etag: deviceEtag(device),
    };
  };

  return {
    async list(actor: Actor, siteId: string, page: { limit: number; cursor?: string }) {
      await requireSite(actor, siteId, repos.sites.exists, siteNotFound);
      const result = await repos.devices.list(siteId, page.limit, page.cursor);
      if (!result) throw new errors.INVALID_CURSOR();
      return { items: result.items.map(deviceView), nextCursor: result.nextCursor };
    },

    async get(actor: Actor, deviceId: string) {
      return withMetrics(await loadVisible(actor, deviceId));
    },

    /** The device, for a page that changes or deletes it: viewers 403, anyone else 404. */
    async editable(actor: Actor, deviceId: string, action: 'change' | 'delete') {
      const device = await loadVisible(actor, deviceId);
      requireManageDevices(actor, device.siteId, deviceNotFound, `${action} devices on this site`);
      return withMetrics(device);
    },

    async create(actor: Actor, siteId: string, input: CreateDeviceInput) {
      requireManageDevices(actor, siteId, siteNotFound, 'add devices to this site');
      if (!(await repos.sites.findById(siteId))) throw siteNotFound();
      const metrics = input.metrics?.map(withMetricDefaults) ?? defaultMetricsFor(input.type);
      if (metrics.length === 0)
        throw invalid([
          {
            path: '/metrics',
            message: 'A device needs at least one metric; omit the list to get the defaults for its type',
          },
        ]);
      const dup = metrics.findIndex((m, i) => metrics.findIndex((o) => o.key === m.key) !== i);
      if (dup >= 0)
        throw invalid([{ path: `/metrics/${dup}/key`, message: `Duplicate metric key "${metrics[dup].key}"` }]);
      const { metrics: _m, ...fields } = input;
      const { device } = await repos.devices.create(siteId, normalize(fields) as DeviceInput, metrics, actor.id);
      return withMetrics(device);
    },

    async update(actor: Actor, deviceId: string, patch: UpdateDeviceInput, ifMatch?: string) {
      const current = await loadVisible(actor, deviceId);
      requireManageDevices(actor, current.siteId, deviceNotFound, 'change devices on this site');
      const result = await repos.devices.update(deviceId, normalize(patch), expectedVersion(ifMatch), actor.id);
      if (result.status === 'not_found') throw deviceNotFound();
      if (result.status === 'stale') throw new errors.PRECONDITION_FAILED();
      return withMetrics(result.device);
    },

    /** The device and its metrics in one change; a refused row or a stale version changes nothing. */
    async updateWithMetrics(actor: Actor, deviceId: string, input: UpdateDeviceWithMetricsInput, ifMatch?: string) {
      const current = await loadVisible(actor, deviceId);
      requireManageDevices(actor, current.siteId, deviceNotFound, 'change devices on this site');
      const { metrics, ...fields } = input;
      // A row without an energy role or decimals keeps the metric's (a new one gets none).
      const edits = metrics.map(({ id, ...m }) => ({
        ...withMetricDefaults(m),
        energyRole: m.energyRole,
        decimals: m.decimals,
        ...(id === undefined ? {} : { id }),
      }));
      const result = await repos.devices.updateWithMetrics(
        deviceId,
        normalize(fields),
        edits,
        expectedVersion(ifMatch),
        actor.id,
      );
      if (result.status === 'not_found') throw deviceNotFound();
      if (result.status === 'stale') throw new errors.PRECONDITION_FAILED();
      if (result.status === 'invalid') throw invalid(result.problems.map((p) => problemField(p, edits)));
      return withMetrics(result.device);
    },

    async delete(actor: Actor, deviceId: string, ifMatch?: string) {
      const current = await loadVisible(actor, deviceId);
      requireManageDevices(actor, current.siteId, deviceNotFound, 'delete devices on this site');
      const expected = expectedVersion(ifMatch);
      if (expected !== undefined && expected !== current.version) throw new errors.PRECONDITION_FAILED();
      if (!(await repos.devices.delete(deviceId, actor.id))) throw deviceNotFound();
    },
  };
}

function problemField(p: MetricProblem, edits: { key: string }[]) {
  switch (p.problem) {
    case 'empty':
      return { path: '/metrics', message: 'A device needs at least one metric' };
    case 'duplicate_key':
      return { path: `/metrics/${p.index}/key`, message: `Duplicate metric key "${edits[p.index].key}"` };
    case 'duplicate_id':
      return { path: `/metrics/${p.index}/id`, message: 'This metric is listed twice' };
    case 'unknown_id':
      return {
        path: `/metrics/${p.index}/id`,
        message:
          'This metric is no longer on the device (someone may have removed it); remove the row, or add it again as a new metric',
      };
  }
}

/** Trims text fields; an empty optional field is stored as null. */
function normalize<T extends UpdateDeviceInput>(input: T): T {
  const out: Record<string, unknown> = { ...input };
  for (const k of ['name', 'manufacturer', 'model', 'serialNumber'] as const) {
    const v = out[k];
    if (typeof v === 'string') out[k] = k === 'name' ? v.trim() : v.trim() || null;
  }
  return out as T;
}

export type DevicesService = ReturnType<typeof devicesService>;
