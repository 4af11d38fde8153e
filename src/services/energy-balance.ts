// The energy balance of one bucket, from the counter roles' energies: the formulas of
// docs/energy.md. Pure arithmetic, so the site and fleet answers share it and tests can check it alone.
import type { EnergyCounterRole } from '../domain/energy-roles.js';

/** A role's energy in a bucket: a number, null (measured but no data), or undefined (not measured at the site). */
export type RoleValues = Partial<Record<EnergyCounterRole, number | null>>;

/** Where a site's consumption comes from: its consumption meters, the grid balance, or nowhere. */
export type ConsumptionSource = 'measured' | 'derived' | null;

export interface Balance {
  production: number | null;
  consumption: number | null;
  gridImport: number | null;
  gridExport: number | null;
  batteryCharge: number | null;
  batteryDischarge: number | null;
  selfConsumption: number | null;
  selfSufficiency: number | null;
}

/** kWh to a micro-kWh and ratios to four decimals: what float sums add beyond that is noise. */
const kwh = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(v * 1e6) / 1e6);
const ratio = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1e4) / 1e4;

/**
 * Consumption is measured where the site has consumption meters; otherwise it is derived from
 * a grid meter with both registers: production + import − export + discharge − charge.
 */
export function consumptionSource(measured: ReadonlySet<EnergyCounterRole>): ConsumptionSource {
  if (measured.has('consumption')) return 'measured';
  return measured.has('grid_import') && measured.has('grid_export') ? 'derived' : null;
}

export function balanceOf(v: RoleValues, source: ConsumptionSource): Balance {
  const P = v.production;
  const I = v.grid_import;
  const E = v.grid_export;
  let C: number | null | undefined = v.consumption;
  if (source === 'derived') {
    // A flow the site does not measure (no battery, no PV) is none; one measured without data is unknown.
    const terms = [P, I, E, v.battery_discharge, v.battery_charge];
    C = terms.some((t) => t === null)
      ? null
      : (P ?? 0) + (I ?? 0) - (E ?? 0) + (v.battery_discharge ?? 0) - (v.battery_charge ?? 0);
    // Below zero, some supply is not measured (wind turbines with power gauges but no counters, say):
    // the figure would be wrong, not merely low, so it is unknown. Float noise is not a shortfall.
    if (C !== null && C < 0) C = C < -1e-6 ? null : 0;
  } else if (source === null) C = null;
  return {
    production: kwh(P),
    consumption: kwh(C),
    gridImport: kwh(I),
    gridExport: kwh(E),
    batteryCharge: kwh(v.battery_charge),
    batteryDischarge: kwh(v.battery_discharge),
    // Share of production not exported; export beyond production (a battery emptying into the grid) is 0.
    selfConsumption: P != null && P > 0 && E != null ? ratio((P - E) / P) : null,
    // Share of consumption not imported; import beyond consumption (charging from the grid) is 0.
    selfSufficiency: C != null && C > 0 && I != null ? ratio(1 - I / C) : null,
  };
}

const FIELDS = ['production', 'consumption', 'gridImport', 'gridExport', 'batteryCharge', 'batteryDischarge'] as const;

/**
 * Several sites' balances of one bucket: each energy is the sum over the sites that measure it
 * (null if any of them has no data); each ratio is weighted by its base (production, consumption)
 * over the sites where it is known.
 */
export function sumBalances(parts: { balance: Balance; measures: (f: (typeof FIELDS)[number]) => boolean }[]): Balance {
  const out = {} as Balance;
  for (const f of FIELDS) {
    const counted = parts.filter((p) => p.measures(f));
    out[f] =
      counted.length === 0 || counted.some((p) => p.balance[f] === null)
        ? null
        : kwh(counted.reduce((sum, p) => sum + p.balance[f]!, 0));
  }
  const weighted = (r: 'selfConsumption' | 'selfSufficiency', base: 'production' | 'consumption') => {
    const known = parts.filter((p) => p.balance[r] !== null && p.balance[base] !== null);
    const total = known.reduce((sum, p) => sum + p.balance[base]!, 0);
    return total > 0 ? ratio(known.reduce((sum, p) => sum + p.balance[r]! * p.balance[base]!, 0) / total) : null;
  };
  out.selfConsumption = weighted('selfConsumption', 'production');
  out.selfSufficiency = weighted('selfSufficiency', 'consumption');
  return out;
}

export const BALANCE_FIELDS = FIELDS;

export interface KnownSum {
  /** The sum over the sites with data; null when none has any. */
  value: number | null;
  /** Sites with data, and sites that measure the figure at all. */
  known: number;
  measuring: number;
}

/**
 * A lenient sum for a summary (the overview page): over the sites that have data, saying how many
 * those are, so one silent site does not blank the fleet's figure and the gap is still shown.
 */
export function sumKnown(
  parts: { balance: Balance; measures: (f: (typeof FIELDS)[number]) => boolean }[],
): Record<(typeof FIELDS)[number], KnownSum> {
  const out = {} as Record<(typeof FIELDS)[number], KnownSum>;
  for (const f of FIELDS) {
    const measuring = parts.filter((p) => p.measures(f));
    const known = measuring.filter((p) => p.balance[f] !== null);
    out[f] = {
      value: known.length ? kwh(known.reduce((sum, p) => sum + p.balance[f]!, 0)) : null,
      known: known.length,
      measuring: measuring.length,
    };
  }
  return out;
}
