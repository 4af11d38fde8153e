// The device-type catalogue: the types a device may have, the metrics each gets when it is created
// without any, and the nameplate power a device of the type has when none is stored on it. The
// simulator emits exactly these metric keys (tests/services/simulator-service.test.ts), so a device made
// with the defaults is driven in full. Plain data: schemas, services, the seed and the simulator
// all read it, so it imports nothing of theirs.

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
}

const g = <K extends string>(key: K, name: string, unit: string, intervalSeconds = 60) =>
  ({ key, name, unit, kind: 'gauge', intervalSeconds }) as const;
const c = <K extends string>(key: K, name: string, unit: string, intervalSeconds = 60) =>
  ({ key, name, unit, kind: 'counter', intervalSeconds }) as const;

export const DEFAULT_METRICS = {
  battery: [g('soc', 'State of charge', '%'), g('power', 'Power', 'kW')], // power > 0: discharging
  inverter: [g('power', 'AC power', 'kW'), c('energy', 'Energy produced', 'kWh')],
  pv_array: [g('power', 'Power', 'kW'), c('energy', 'Energy produced', 'kWh')],
  wind_turbine: [g('wind_speed', 'Wind speed', 'm/s'), g('power', 'Power', 'kW')],
  meter: [
    c('import_energy', 'Import energy', 'kWh'),
    c('export_energy', 'Export energy', 'kWh'),
    g('power', 'Power', 'kW'), // > 0: importing
  ],
  ev_charger: [g('power', 'Charging power', 'kW'), c('energy', 'Energy delivered', 'kWh')],
  heat_pump: [g('power', 'Electrical power', 'kW'), g('temperature', 'Flow temperature', '°C')],
  generator: [g('power', 'Power', 'kW'), g('fuel_level', 'Fuel level', '%')],
  other: [g('value', 'Value', '')],
} as const satisfies Record<DeviceType, readonly MetricSpec[]>;

export type MetricKey<T extends DeviceType> = (typeof DEFAULT_METRICS)[T][number]['key'];

/** Fresh, mutable copies of the type's default metrics, for a new device. */
export const defaultMetricsFor = (type: DeviceType) =>
  DEFAULT_METRICS[type].map(
    (m): { key: string; name: string; unit: string; kind: MetricKind; intervalSeconds: number } => ({
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
