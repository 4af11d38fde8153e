import Type from 'typebox';
import { DEVICE_TYPES } from '../domain/device-types.js';
import { Id, Nullable, Timestamp } from './common.js';
import { MetricBody, MetricSchema } from './metrics.js';

export const DeviceType = Type.Enum([...DEVICE_TYPES]);
const Optional = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max })));
/** 10 GW: above any single device or grid connection a site has. */
const MAX_RATED_POWER_KW = 10_000_000;
const RatedPowerKw = Nullable(
  Type.Number({
    exclusiveMinimum: 0,
    maximum: MAX_RATED_POWER_KW,
    description: "Nameplate power in kW; null: the type's usual rating is assumed",
  }),
);

export const DeviceSchema = Type.Object({
  id: Id,
  siteId: Id,
  name: Type.String(),
  type: Type.String(),
  manufacturer: Nullable(Type.String()),
  model: Nullable(Type.String()),
  serialNumber: Nullable(Type.String()),
  ratedPowerKw: RatedPowerKw,
  simulated: Type.Boolean({
    readOnly: true,
    description: "Readings come from the demo simulator: true only for the demo seed's devices",
  }),
  version: Type.Integer({ description: 'Increases with every change; the ETag is "v<version>"' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const DeviceWithMetrics = Type.Object({ ...DeviceSchema.properties, metrics: Type.Array(MetricSchema) });

export const CreateDeviceBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
    type: DeviceType,
    manufacturer: Optional(120),
    model: Optional(120),
    serialNumber: Optional(120),
    ratedPowerKw: Type.Optional(RatedPowerKw),
    metrics: Type.Optional(
      Type.Array(MetricBody, {
        maxItems: 100,
        description: 'Omit for the defaults of the type; an empty list is refused',
      }),
    ),
  },
  { additionalProperties: false },
);

export const UpdateDeviceBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' })),
    type: Type.Optional(DeviceType),
    manufacturer: Optional(120),
    model: Optional(120),
    serialNumber: Optional(120),
    ratedPowerKw: Type.Optional(RatedPowerKw),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const DeviceParams = Type.Object({ deviceId: Id });
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 128, description: 'ETag from GET, e.g. "v3"' })),
});
