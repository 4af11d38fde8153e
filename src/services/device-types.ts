import type { MetricInput } from '../db/repositories/metrics.js';

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

const g = (key: string, name: string, unit: string, intervalSeconds = 60): MetricInput => ({
  key,
  name,
  unit,
  kind: 'gauge',
  intervalSeconds,
});
const c = (key: string, name: string, unit: string, intervalSeconds = 60): MetricInput => ({
  key,
  name,
  unit,
  kind: 'counter',
  intervalSeconds,
});

/** Metrics a device gets when it is created without any (the keys the simulator drives). */
export const DEFAULT_METRICS: Record<DeviceType, MetricInput[]> = {
  battery: [g('soc', 'State of charge', '%'), g('power', 'Power', 'kW')],
  inverter: [g('power', 'AC power', 'kW'), c('energy', 'Energy produced', 'kWh')],
  pv_array: [g('power', 'Power', 'kW'), c('energy', 'Energy produced', 'kWh')],
  wind_turbine: [g('wind_speed', 'Wind speed', 'm/s'), g('power', 'Power', 'kW')],
  meter: [
    c('import_energy', 'Import energy', 'kWh'),
    c('export_energy', 'Export energy', 'kWh'),
    g('power', 'Power', 'kW'),
  ],
  ev_charger: [g('power', 'Charging power', 'kW'), c('energy', 'Energy delivered', 'kWh')],
  heat_pump: [g('power', 'Electrical power', 'kW'), g('temperature', 'Flow temperature', '°C')],
  generator: [g('power', 'Power', 'kW'), g('fuel_level', 'Fuel level', '%')],
  other: [g('value', 'Value', '')],
};

export const defaultMetricsFor = (type: DeviceType): MetricInput[] => DEFAULT_METRICS[type].map((m) => ({ ...m }));
