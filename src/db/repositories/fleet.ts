import type { EnergyRole } from '../../domain/energy-roles.js';
import type { Db } from '../client.js';

export interface FleetDevice {
  deviceId: string;
  siteId: string;
  type: string;
  ratedPowerKw: number | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  metrics: { pk: number; id: string; key: string; kind: string; latestTs: number | null; latestValue: number | null }[];
}

/** A metric's latest value with what a site's summary weighs it by. */
export interface SiteLatest {
  siteId: string;
  key: string;
  unit: string;
  deviceType: string;
  intervalSeconds: number;
  latestTs: number | null;
  latestValue: number | null;
}

/** A metric the subscription picker offers, with its device and site. */
export interface CatalogueEntry {
  siteId: string;
  siteName: string;
  deviceId: string;
  deviceName: string;
  id: string;
  name: string;
  unit: string;
  key: string;
}

/**
 * Reads across sites: every simulated device for the simulator, the latest values of many sites at once
 * (the sites page's summaries) and every metric a user sees (the subscription picker), each one
 * statement whatever the number of sites.
 */
export interface EnergyMetric {
  pk: number;
  id: string;
  siteId: string;
  siteName: string;
  siteTimezone: string;
  energyRole: EnergyRole;
  intervalSeconds: number;
  latestTs: number | null;
  latestValue: number | null;
}

export function fleetRepository(db: Db) {
  const stmt = db.$client.prepare<
    [],
    {
      deviceId: string;
      siteId: string;
      type: string;
      ratedPowerKw: number | null;
      latitude: number | null;
      longitude: number | null;
      timezone: string;
      pk: number;
      id: string;
      key: string;
      kind: string;
      latestTs: number | null;
      latestValue: number | null;
    }
  >(
    `SELECT d.id AS deviceId, d.site_id AS siteId, d.type, d.rated_power_kw AS ratedPowerKw, s.latitude, s.longitude, s.timezone,
            m.pk, m.id, m.key, m.kind, m.latest_ts AS latestTs, m.latest_value AS latestValue
       FROM devices d JOIN sites s ON s.id = d.site_id JOIN metrics m ON m.device_id = d.id
      WHERE d.simulated = 1
      ORDER BY d.id, m.pk`,
  );
  // Any number of site ids in one statement: they travel as one JSON array.
  const latestOfSites = db.$client.prepare<[string], SiteLatest>(
    `SELECT m.site_id AS siteId, m.key, m.unit, d.type AS deviceType, m.interval_seconds AS intervalSeconds,
            m.latest_ts AS latestTs, m.latest_value AS latestValue
       FROM metrics m JOIN devices d ON d.id = m.device_id
      WHERE m.site_id IN (SELECT value FROM json_each(?))`,
  );
  // Ordered as the picker lists them: sites by name (as the sites list), devices by name, metrics as created.
  const catalogue = db.$client.prepare<{ user: string | null }, CatalogueEntry>(
    `SELECT s.id AS siteId, s.name AS siteName, d.id AS deviceId, d.name AS deviceName,
            m.id, m.name, m.unit, m.key
       FROM metrics m JOIN devices d ON d.id = m.device_id JOIN sites s ON s.id = m.site_id
      WHERE :user IS NULL OR m.site_id IN (SELECT site_id FROM site_members WHERE user_id = :user)
      ORDER BY s.name, s.id, d.name, m.pk`,
  );
  // Sites by name as the sites list orders them; a null list means every site (admins).
  const energyMetrics = db.$client.prepare<{ ids: string | null }, EnergyMetric>(
    `SELECT m.pk, m.id, m.site_id AS siteId, s.name AS siteName, s.timezone AS siteTimezone,
            m.energy_role AS energyRole, m.interval_seconds AS intervalSeconds,
            m.latest_ts AS latestTs, m.latest_value AS latestValue
       FROM metrics m JOIN sites s ON s.id = m.site_id
      WHERE m.energy_role IS NOT NULL AND (:ids IS NULL OR m.site_id IN (SELECT value FROM json_each(:ids)))
      ORDER BY s.name, s.id, m.pk`,
  );
  return {
    /** The metrics with an energy role on these sites (null: on every site), by site. */
    async energyMetrics(siteIds: string[] | null): Promise<EnergyMetric[]> {
      return energyMetrics.all({ ids: siteIds === null ? null : JSON.stringify(siteIds) });
    },
    /** The latest value of every metric on these sites. */
    async latestOfSites(siteIds: string[]): Promise<SiteLatest[]> {
      return siteIds.length === 0 ? [] : latestOfSites.all(JSON.stringify(siteIds));
    },
    /** Every metric of the sites `visibleTo` (a user id) is a member of, or of every site for null (admins). */
    async catalogue(visibleTo: string | null): Promise<CatalogueEntry[]> {
      return catalogue.all({ user: visibleTo });
    },
    /** The devices the simulator drives (`simulated`), with their metrics. */
    async devices(): Promise<FleetDevice[]> {
      const out = new Map<string, FleetDevice>();
      for (const r of stmt.all()) {
        let d = out.get(r.deviceId);
        if (!d)
          out.set(
            r.deviceId,
            (d = {
              deviceId: r.deviceId,
              siteId: r.siteId,
              type: r.type,
              ratedPowerKw: r.ratedPowerKw,
              latitude: r.latitude,
              longitude: r.longitude,
              timezone: r.timezone,
              metrics: [],
            }),
          );
        d.metrics.push({
          pk: r.pk,
          id: r.id,
          key: r.key,
          kind: r.kind,
          latestTs: r.latestTs,
          latestValue: r.latestValue,
        });
      }
      return [...out.values()];
    },
  };
}
