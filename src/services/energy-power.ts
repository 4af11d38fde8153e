// Power now from the power-gauge roles (docs/energy.md): a site's production, consumption, grid
// exchange and battery power, summed over its fresh readings, and the fleet's sum. A stale reading is
// not "now": it is left out, and the figure says over how many sites it is summed.
import type { EnergyRole } from '../domain/energy-roles.js';
import { isStale } from './views.js';

export const POWER_FIELDS = ['production', 'consumption', 'grid', 'battery'] as const;
export type PowerField = (typeof POWER_FIELDS)[number];
/** kW per field; null where the site measures it but has no fresh reading, or does not measure it. */
export type PowerNow = Record<PowerField, number | null> & { measures: Record<PowerField, boolean> };

const ROLE_OF: Record<PowerField, EnergyRole> = {
  production: 'production_power',
  consumption: 'consumption_power',
  grid: 'grid_power',
  battery: 'battery_power',
};

const kw = (v: number) => Math.round(v * 1000) / 1000;

type Gauge = { energyRole: EnergyRole; intervalSeconds: number; latestTs: number | null; latestValue: number | null };

/**
 * A site's power now. A role is null when any of its metrics has no fresh reading (a sum with a
 * missing part would be wrong, as for the energies). Consumption without its own gauges is derived
 * like the energy balance's, where a grid gauge exists: production + grid + battery (grid > 0
 * importing, battery > 0 discharging).
 */
export function powerNow(metrics: Gauge[], now: number): PowerNow {
  const out = { measures: {} } as PowerNow;
  for (const f of POWER_FIELDS) {
    const mine = metrics.filter((m) => m.energyRole === ROLE_OF[f]);
    out.measures[f] = mine.length > 0;
    const fresh = mine.every(
      (m) => m.latestTs !== null && m.latestValue !== null && !isStale(m.latestTs, m.intervalSeconds, now),
    );
    out[f] = mine.length && fresh ? kw(mine.reduce((s, m) => s + m.latestValue!, 0)) : null;
  }
  if (!out.measures.consumption && out.measures.grid) {
    out.measures.consumption = true;
    const parts = (['production', 'grid', 'battery'] as const).map((f) => (out.measures[f] ? out[f] : 0));
    out.consumption = parts.some((v) => v === null) ? null : kw(parts.reduce((s, v) => s! + v!, 0)!);
  }
  return out;
}

/** The fleet's power now: each field summed over the sites with a value, with how many those are. */
export function sumPower(sites: PowerNow[]) {
  const out = {} as Record<PowerField, { value: number | null; known: number; measuring: number }>;
  for (const f of POWER_FIELDS) {
    const measuring = sites.filter((s) => s.measures[f]);
    const known = measuring.filter((s) => s[f] !== null);
    out[f] = {
      value: known.length ? kw(known.reduce((sum, s) => sum + s[f]!, 0)) : null,
      known: known.length,
      measuring: measuring.length,
    };
  }
  return out;
}
