import Type, { type Static } from 'typebox';
import { Id, Nullable, Timestamp } from './common.js';

const Name = Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' });
const Latitude = Nullable(Type.Number({ minimum: -90, maximum: 90 }));
const Longitude = Nullable(Type.Number({ minimum: -180, maximum: 180 }));
const TimeZone = Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Berlin' });
export const RoleSchema = Type.Union([Type.Literal('viewer'), Type.Literal('technician')]);

export const SiteSchema = Type.Object({
  id: Id,
  name: Type.String(),
  description: Type.String(),
  latitude: Latitude,
  longitude: Longitude,
  timezone: Type.String(),
  role: Nullable(
    Type.Union([Type.Literal('admin'), RoleSchema], {
      description: "The caller's access: admin, technician or viewer",
    }),
  ),
  deviceCount: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreateSiteBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    latitude: Type.Optional(Latitude),
    longitude: Type.Optional(Longitude),
    timezone: Type.Optional(TimeZone),
  },
  { additionalProperties: false },
);
export type CreateSiteBody = Static<typeof CreateSiteBody>;

export const UpdateSiteBody = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    latitude: Type.Optional(Latitude),
    longitude: Type.Optional(Longitude),
    timezone: Type.Optional(TimeZone),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const SiteParams = Type.Object({ siteId: Id });
export const MemberParams = Type.Object({ siteId: Id, userId: Id });

export const MemberSchema = Type.Object({
  userId: Id,
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  createdAt: Timestamp,
});
export const SetMemberBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actorId: Nullable(Type.String()),
  siteId: Nullable(Type.String()),
  entityType: Type.String(),
  entityId: Type.String(),
  action: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
});
