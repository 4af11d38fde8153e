import Type from 'typebox';
import { Id, Nullable, Timestamp } from './common.js';

export const MetricKind = Type.Union([Type.Literal('gauge'), Type.Literal('counter')]);

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
};

export const MetricBody = Type.Object(
  {
    key: fields.key,
    name: fields.name,
    unit: fields.unit,
    kind: Type.Optional(fields.kind),
    intervalSeconds: Type.Optional(fields.intervalSeconds),
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
  },
  { additionalProperties: false, minProperties: 1 },
);

export const MetricParams = Type.Object({ metricId: Id });
