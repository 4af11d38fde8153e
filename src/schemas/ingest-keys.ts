import Type from 'typebox';
import { Id, Nullable, Timestamp } from './common.js';

export const CreateIngestKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
    deviceId: Type.Optional({ ...Id, description: 'Only this device of the site; absent: any device of the site' }),
  },
  { additionalProperties: false },
);

export const IngestKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
  scope: Type.Union([Type.Literal('site'), Type.Literal('device')]),
  siteId: Type.String(),
  deviceId: Nullable(Type.String()),
  deviceName: Nullable(Type.String()),
  createdBy: Nullable(Type.Object({ id: Type.String(), name: Nullable(Type.String()) })),
  createdAt: Timestamp,
  lastUsedAt: Nullable({ ...Timestamp, description: 'Written at most once a minute' }),
  revokedAt: Nullable(Timestamp),
});

export const CreatedIngestKeySchema = Type.Object({
  ...IngestKeySchema.properties,
  key: Type.String({ description: 'The secret, shown in this answer only: send it as `Authorization: Bearer <key>`' }),
});

export const IngestKeyList = Type.Object({ items: Type.Array(IngestKeySchema) });
export const IngestKeyParams = Type.Object({ keyId: Id });
