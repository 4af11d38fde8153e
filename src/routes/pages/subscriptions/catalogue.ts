// What the metric picker offers: every metric of every site the user sees, grouped by site and device.
// (No catalogue service exists; one query per site, as on the sites page, is fine at fleet sizes we serve.)
import type { FastifyInstance } from 'fastify';
import type { Actor } from '../../../services/policy.js';

export interface PickerMetric {
  id: string;
  name: string;
  unit: string;
  key: string;
  /** "Site / Device / Metric (unit)": the checkbox's accessible name. */
  label: string;
}
export interface PickerSite {
  id: string;
  name: string;
  devices: { id: string; name: string; metrics: PickerMetric[] }[];
}

export const metricLabel = (site: string, device: string, name: string, unit: string) =>
  `${site} / ${device} / ${name}${unit ? ` (${unit})` : ''}`;

/** Follows `nextCursor` to the end: the picker must offer every site, not the first page. */
export async function everyPage<T>(
  load: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await load(cursor);
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

export async function catalogue(app: FastifyInstance, actor: Actor): Promise<PickerSite[]> {
  const sites = await everyPage((cursor) => app.services.sites.list(actor, { limit: 200, cursor }));
  return Promise.all(
    sites.map(async (site) => {
      const devices = new Map<string, PickerSite['devices'][number]>();
      for (const m of await app.services.metrics.siteLatest(actor, site.id)) {
        const device = devices.get(m.deviceId) ?? { id: m.deviceId, name: m.deviceName, metrics: [] };
        device.metrics.push({
          id: m.id,
          name: m.name,
          unit: m.unit,
          key: m.key,
          label: metricLabel(site.name, m.deviceName, m.name, m.unit),
        });
        devices.set(m.deviceId, device);
      }
      return { id: site.id, name: site.name, devices: [...devices.values()] };
    }),
  );
}
