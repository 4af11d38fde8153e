// The device-type catalogue: the types a device may have, the metrics each gets when it is created
// without any, and the nameplate power a device of the type has when none is stored on it. The
// simulator emits exactly these metric keys (tests/services/simulator-service.test.ts), so a device made
// with the defaults is driven in full. Plain data: schemas, services, the seed and the simulator
// all read it, so it imports nothing of theirs but the energy roles its metrics propose.
import type { EnergyRole } from './energy-roles.js';

export const DEVICE_TYPES = [
  'battery',
  'inverter',
  'pv_array',
  'wind_turbine',
  'meter',
  'ev_charger',
  'heat_pump',
  'generator',
  'other',
] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** A gauge is an instantaneous value; a counter only ever increases. */
export type MetricKind = 'gauge' | 'counter';

export interface MetricSpec {
  readonly key: string;
  readonly name: string;
  readonly unit: string;
  readonly kind: MetricKind;
  readonly intervalSeconds: number;
  /** What the metric measures in the site's energy balance, proposed to the technician. */
  readonly energyRole: EnergyRole | null;
}

const g = <K extends string>(key: K, name: string, unit: string, energyRole: EnergyRole | null = null) =>
  ({ key, name, unit, kind: 'gauge', intervalSeconds: 60, energyRole }) as const;
const c = <K extends string>(key: K, name: string, unit: string, energyRole: EnergyRole | null = null) =>
  ({ key, name, unit, kind: 'counter', intervalSeconds: 60, energyRole }) as const;

// Roles follow the signs the simulator uses: a battery's power > 0 is discharging, a meter's > 0 importing.
export const DEFAULT_METRICS = {
  battery: [g('soc', 'State of charge', '%', 'battery_soc'), g('power', 'Power', 'kW', 'battery_power')],
  inverter: [g('power', 'AC power', 'kW', 'production_power'), c('energy', 'Energy produced', 'kWh', 'production')],
  pv_array: [g('power', 'Power', 'kW', 'production_power'), c('energy', 'Energy produced', 'kWh', 'production')],
  wind_turbine: [g('wind_speed', 'Wind speed', 'm/s'), g('power', 'Power', 'kW', 'production_power')],
  meter: [
    c('import_energy', 'Import energy', 'kWh', 'grid_import'),
    c('export_energy', 'Export energy', 'kWh', 'grid_export'),
    g('power', 'Power', 'kW', 'grid_power'),
  ],
  ev_charger: [
    g('power', 'Charging power', 'kW', 'consumption_power'),
    c('energy', 'Energy delivered', 'kWh', 'consumption'),
  ],
  heat_pump: [g('power', 'Electrical power', 'kW', 'consumption_power'), g('temperature', 'Flow temperature', '°C')],
  generator: [g('power', 'Power', 'kW', 'production_power'), g('fuel_level', 'Fuel level', '%')],
  other: [g('value', 'Value', '')],
} as const satisfies Record<DeviceType, readonly MetricSpec[]>;

export type MetricKey<T extends DeviceType> = (typeof DEFAULT_METRICS)[T][number]['key'];

/** Fresh, mutable copies of the type's default metrics, for a new device. */
export const defaultMetricsFor = (type: DeviceType) =>
  DEFAULT_METRICS[type].map(
    (
      m,
    ): {
      key: string;
      name: string;
      unit: string;
      kind: MetricKind;
      intervalSeconds: number;
      energyRole: EnergyRole | null;
    } => ({
      ...m,
    }),
  );

/** Nameplate power (kW) of a device of the type that has none stored. */
export const DEFAULT_RATED_KW: Record<DeviceType, number> = {
  battery: 50, // 100 kWh at the 2 h ratio the model assumes
  inverter: 50,
  pv_array: 40,
  wind_turbine: 100,
  meter: 80, // peak building import
  ev_charger: 11, // three-phase 16 A wallbox
  heat_pump: 12,
  generator: 60,
  other: 100, // scale of the unitless value
};

export const isDeviceType = (t: string): t is DeviceType => (DEVICE_TYPES as readonly string[]).includes(t);
