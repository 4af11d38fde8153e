import Type from 'typebox';
import { ENERGY_ROLES } from '../domain/energy-roles.js';
import { Id, Nullable, Timestamp } from './common.js';

export const MetricKind = Type.Union([Type.Literal('gauge'), Type.Literal('counter')]);
export const EnergyRoleSchema = Nullable(
  Type.Enum([...ENERGY_ROLES], {
    description:
      "What the metric measures in the site's energy balance (docs/energy.md): kWh counters production, consumption, grid_import, grid_export, battery_charge, battery_discharge; kW gauges production_power, consumption_power, grid_power (> 0 importing), battery_power (> 0 discharging); battery_soc in %. null: no part of it",
  }),
);

export const DecimalsSchema = Nullable(
  Type.Integer({
    format: 'int32',
    minimum: 0,
    maximum: 6,
    description:
      'Display precision: aggregated time-series values (avg, sum, delta) and chart legends are rounded to this many decimal places; readings are stored exactly, and agg=last|first|min|max answer them exactly. null: not rounded',
  }),
);

export const LatestSchema = Nullable(
  Type.Object({
    value: Type.Number(),
    unit: Type.String(),
    timestamp: Timestamp,
    receivedAt: Timestamp,
    stale: Type.Boolean({ description: 'No reading for more than three expected intervals' }),
  }),
);

export const MetricSchema = Type.Object({
  id: Id,
  deviceId: Id,
  siteId: Id,
  key: Type.String(),
  name: Type.String(),
  unit: Type.String(),
  kind: MetricKind,
  intervalSeconds: Type.Integer(),
  energyRole: EnergyRoleSchema,
  decimals: DecimalsSchema,
  latest: LatestSchema,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const SiteLatestItem = Type.Object({ ...MetricSchema.properties, deviceName: Type.String() });

const fields = {
  key: Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^[a-z][a-z0-9_]*$',
    description: 'snake_case, unique per device',
  }),
  name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
  unit: Type.String({ maxLength: 16 }),
  kind: MetricKind,
  intervalSeconds: Type.Integer({
    format: 'int32',
    minimum: 1,
    maximum: 86_400,
    description: 'Expected reporting interval',
  }),
  energyRole: EnergyRoleSchema,
  decimals: DecimalsSchema,
};

export const MetricBody = Type.Object(
  {
    key: fields.key,
    name: fields.name,
    unit: fields.unit,
    kind: Type.Optional(fields.kind),
    intervalSeconds: Type.Optional(fields.intervalSeconds),
    energyRole: Type.Optional(fields.energyRole),
    decimals: Type.Optional(fields.decimals),
  },
  { additionalProperties: false },
);

export const UpdateMetricBody = Type.Object(
  {
    key: Type.Optional(fields.key),
    name: Type.Optional(fields.name),
    unit: Type.Optional(fields.unit),
    kind: Type.Optional(fields.kind),
    intervalSeconds: Type.Optional(fields.intervalSeconds),
    energyRole: Type.Optional(fields.energyRole),
    decimals: Type.Optional(fields.decimals),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const MetricParams = Type.Object({ metricId: Id });
