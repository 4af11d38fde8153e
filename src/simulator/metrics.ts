// The metric keys each device type reports by default. The simulator emits exactly
// these keys, so whoever seeds a demo site can create the metric rows from this table.

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
  readonly unit: string;
  readonly kind: MetricKind;
}

export const DEFAULT_METRICS = {
  battery: [
    { key: 'soc', unit: '%', kind: 'gauge' },
    { key: 'power', unit: 'kW', kind: 'gauge' }, // positive = discharging
  ],
  inverter: [
    { key: 'power', unit: 'kW', kind: 'gauge' },
    { key: 'energy', unit: 'kWh', kind: 'counter' },
  ],
  pv_array: [
    { key: 'power', unit: 'kW', kind: 'gauge' },
    { key: 'energy', unit: 'kWh', kind: 'counter' },
  ],
  wind_turbine: [
    { key: 'wind_speed', unit: 'm/s', kind: 'gauge' },
    { key: 'power', unit: 'kW', kind: 'gauge' },
  ],
  meter: [
    { key: 'import_energy', unit: 'kWh', kind: 'counter' },
    { key: 'export_energy', unit: 'kWh', kind: 'counter' },
    { key: 'power', unit: 'kW', kind: 'gauge' }, // positive = importing
  ],
  ev_charger: [
    { key: 'power', unit: 'kW', kind: 'gauge' },
    { key: 'energy', unit: 'kWh', kind: 'counter' },
  ],
  heat_pump: [
    { key: 'power', unit: 'kW', kind: 'gauge' },
    { key: 'temperature', unit: '°C', kind: 'gauge' }, // flow temperature
  ],
  generator: [
    { key: 'power', unit: 'kW', kind: 'gauge' },
    { key: 'fuel_level', unit: '%', kind: 'gauge' },
  ],
  other: [{ key: 'value', unit: '', kind: 'gauge' }],
} as const satisfies Record<DeviceType, readonly MetricSpec[]>;

export type MetricKey<T extends DeviceType> = (typeof DEFAULT_METRICS)[T][number]['key'];

/** One sample of every default metric of a device type. */
export type Readings<T extends DeviceType> = Record<MetricKey<T>, number>;

/** Nameplate power used when a demo device has none configured. */
export function defaultRatedKw(type: DeviceType): number {
  switch (type) {
    case 'battery':
      return 50; // 100 kWh at the 2 h ratio the model assumes
    case 'inverter':
      return 50;
    case 'pv_array':
      return 40;
    case 'wind_turbine':
      return 100;
    case 'meter':
      return 80; // peak building import
    case 'ev_charger':
      return 11; // three-phase 16 A wallbox
    case 'heat_pump':
      return 12;
    case 'generator':
      return 60;
    case 'other':
      return 100; // scale of the unitless value
  }
}

/** Advances a device to `ts` (ms since epoch) and returns its readings there. */
export type Stepper<T extends DeviceType> = (ts: number) => Readings<T>;
