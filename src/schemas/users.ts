import Type from 'typebox';
import { Id, Nullable, Timestamp } from './common.js';
import { RoleSchema } from './sites.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Password = Type.String({ minLength: 10, maxLength: 256, description: 'At least 10 characters' });

export const UserSchema = Type.Object({
  id: Id,
  email: Type.String(),
  name: Type.String(),
  isAdmin: Type.Boolean(),
  active: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const MeSchema = Type.Object({
  ...UserSchema.properties,
  memberships: Type.Array(Type.Object({ siteId: Id, siteName: Type.String(), role: RoleSchema })),
});

export const CreateUserBody = Type.Object(
  {
    email: Email,
    name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
    password: Password,
    isAdmin: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  {
    email: Type.Optional(Email),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' })),
    password: Type.Optional(Password),
    isAdmin: Type.Optional(Type.Boolean()),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const UserParams = Type.Object({ userId: Id });

export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

/** Nothing to say, but said as JSON: a cross-site form or simple fetch cannot send it (POST /api/auth/logout). */
export const LogoutBody = Type.Object({}, { additionalProperties: false });

export const TokenSchema = Type.Object({
  id: Id,
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the token, to recognise it' }),
  createdAt: Timestamp,
  expiresAt: Nullable(Timestamp),
  lastUsedAt: Nullable(Timestamp),
});
export const CreatedTokenSchema = Type.Object({
  ...TokenSchema.properties,
  token: Type.String({ description: 'Shown once; store it now' }),
});
export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
    expiresInDays: Type.Optional(
      Type.Integer({
        format: 'int32',
        minimum: 1,
        maximum: 3650,
        description:
          "Days it lives: at most the server's maximum (TOKEN_MAX_DAYS, 365 unless set), which is the default",
      }),
    ),
  },
  { additionalProperties: false },
);
export const TokenParams = Type.Object({ tokenId: Id });
export const UserTokenParams = Type.Object({ userId: Id, tokenId: Id });
export const TokenList = Type.Object({ items: Type.Array(TokenSchema) });
