import type { Db } from '../client.js';

export interface FleetDevice {
  deviceId: string;
  type: string;
  ratedPowerKw: number | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  metrics: { pk: number; id: string; key: string; kind: string; latestTs: number | null; latestValue: number | null }[];
}

/** Every device with its site's location and its metrics, for the simulator. */
export function fleetRepository(db: Db) {
  const stmt = db.$client.prepare<
    [],
    {
      deviceId: string;
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
    `SELECT d.id AS deviceId, d.type, d.rated_power_kw AS ratedPowerKw, s.latitude, s.longitude, s.timezone,
            m.pk, m.id, m.key, m.kind, m.latest_ts AS latestTs, m.latest_value AS latestValue
       FROM devices d JOIN sites s ON s.id = d.site_id JOIN metrics m ON m.device_id = d.id
      ORDER BY d.id, m.pk`,
  );
  return {
    async devices(): Promise<FleetDevice[]> {
      const out = new Map<string, FleetDevice>();
      for (const r of stmt.all()) {
        let d = out.get(r.deviceId);
        if (!d)
          out.set(
            r.deviceId,
            (d = {
              deviceId: r.deviceId,
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
