// Reads across sites on PostgreSQL: the twin of ../../repositories/fleet.ts (ids travel as text[]
// instead of a JSON array; byte-order sorting with COLLATE "C", as SQLite sorts).
import type { CatalogueEntry, EnergyMetric, FleetDevice, SiteLatest } from '../../repositories/fleet.js';
import type { Repositories } from '../../repositories/index.js';
import type { PgHandle } from './sql.js';

export function pgFleetRepository(db: PgHandle): Repositories['fleet'] {
  const pool = db.$client;
  return {
    async energyMetrics(siteIds) {
      const r = await pool.query<EnergyMetric>(
        `SELECT m.pk, m.id, m.site_id AS "siteId", s.name AS "siteName", s.timezone AS "siteTimezone",
                m.energy_role AS "energyRole", m.interval_seconds AS "intervalSeconds",
                m.latest_ts AS "latestTs", m.latest_value AS "latestValue"
           FROM metrics m JOIN sites s ON s.id = m.site_id
          WHERE m.energy_role IS NOT NULL AND ($1::text[] IS NULL OR m.site_id = ANY($1::text[]))
          ORDER BY s.name COLLATE "C", s.id COLLATE "C", m.pk`,
        [siteIds],
      );
      return r.rows;
    },
    async latestOfSites(siteIds) {
      if (siteIds.length === 0) return [];
      const r = await pool.query<SiteLatest>(
        `SELECT m.site_id AS "siteId", m.key, m.unit, d.type AS "deviceType", m.interval_seconds AS "intervalSeconds",
                m.latest_ts AS "latestTs", m.latest_value AS "latestValue"
           FROM metrics m JOIN devices d ON d.id = m.device_id
          WHERE m.site_id = ANY($1::text[])`,
        [siteIds],
      );
      return r.rows;
    },
    async catalogue(visibleTo) {
      const r = await pool.query<CatalogueEntry>(
        `SELECT s.id AS "siteId", s.name AS "siteName", d.id AS "deviceId", d.name AS "deviceName",
                m.id, m.name, m.unit, m.key
           FROM metrics m JOIN devices d ON d.id = m.device_id JOIN sites s ON s.id = m.site_id
          WHERE $1::text IS NULL OR m.site_id IN (SELECT site_id FROM site_members WHERE user_id = $1)
          ORDER BY s.name COLLATE "C", s.id COLLATE "C", d.name COLLATE "C", m.pk`,
        [visibleTo],
      );
      return r.rows;
    },
    async devices() {
      const r = await pool.query<{
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
      }>(
        `SELECT d.id AS "deviceId", d.site_id AS "siteId", d.type, d.rated_power_kw AS "ratedPowerKw", s.latitude,
                s.longitude, s.timezone, m.pk, m.id, m.key, m.kind, m.latest_ts AS "latestTs", m.latest_value AS "latestValue"
           FROM devices d JOIN sites s ON s.id = d.site_id JOIN metrics m ON m.device_id = d.id
          WHERE d.simulated
          ORDER BY d.id COLLATE "C", m.pk`,
      );
      const out = new Map<string, FleetDevice>();
      for (const x of r.rows) {
        let d = out.get(x.deviceId);
        if (!d)
          out.set(
            x.deviceId,
            (d = {
              deviceId: x.deviceId,
              siteId: x.siteId,
              type: x.type,
              ratedPowerKw: x.ratedPowerKw,
              latitude: x.latitude,
              longitude: x.longitude,
              timezone: x.timezone,
              metrics: [],
            }),
          );
        d.metrics.push({
          pk: x.pk,
          id: x.id,
          key: x.key,
          kind: x.kind,
          latestTs: x.latestTs,
          latestValue: x.latestValue,
        });
      }
      return [...out.values()];
    },
  };
}
