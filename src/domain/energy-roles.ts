// What a metric measures in its site's energy balance (docs/energy.md). Counters in kWh give the
// energy figures; gauges give power now. Plain data, read by schemas, services and the catalogue.

/** Energy counters (kWh, only ever increasing but for resets): the balance is made of their deltas. */
export const ENERGY_COUNTER_ROLES = [
  'production',
  'consumption',
  'grid_import',
  'grid_export',
  'battery_charge',
  'battery_discharge',
] as const;

/**
 * Power gauges (kW; battery_soc in %). Signs: grid_power > 0 is importing, < 0 exporting;
 * battery_power > 0 is discharging, < 0 charging.
 */
export const ENERGY_GAUGE_ROLES = [
  'production_power',
  'consumption_power',
  'grid_power',
  'battery_power',
  'battery_soc',
] as const;

export const ENERGY_ROLES = [...ENERGY_COUNTER_ROLES, ...ENERGY_GAUGE_ROLES] as const;
export type EnergyRole = (typeof ENERGY_ROLES)[number];
export type EnergyCounterRole = (typeof ENERGY_COUNTER_ROLES)[number];

export const isEnergyCounterRole = (r: string | null): r is EnergyCounterRole =>
  r !== null && (ENERGY_COUNTER_ROLES as readonly string[]).includes(r);

/** How the device form names each role. */
export const ENERGY_ROLE_LABELS: Record<EnergyRole, string> = {
  production: 'Production (kWh)',
  consumption: 'Consumption (kWh)',
  grid_import: 'Grid import (kWh)',
  grid_export: 'Grid export (kWh)',
  battery_charge: 'Battery charge (kWh)',
  battery_discharge: 'Battery discharge (kWh)',
  production_power: 'Production power (kW)',
  consumption_power: 'Consumption power (kW)',
  grid_power: 'Grid power (kW, + importing)',
  battery_power: 'Battery power (kW, + discharging)',
  battery_soc: 'Battery state of charge (%)',
};
