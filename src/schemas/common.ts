import Type, { type TSchema } from 'typebox';

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. SITE_NOT_FOUND' }),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ format: 'int32', minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
});

/** Problem responses every authenticated route can give. */
export const problems = {
  400: problem('Malformed request (query, path or JSON syntax)'),
  401: problem('Not authenticated'),
  403: problem('Authenticated but not allowed'),
  404: problem('Not found, or not visible to you'),
  409: problem('Conflict with the current state'),
  412: problem('If-Match does not match the current ETag'),
  413: problem('The body is larger than the limit (1 MiB; readings 2 MiB)'),
  415: problem('The body is not application/json'),
  422: problem('The body has invalid fields'),
  429: problem('Too many requests'),
  500: problem('Unexpected server error; the details are logged, never shown'),
};

export type ProblemStatus = keyof typeof problems;
/**
 * The problems a route names, plus the 500 that any route can give. A route that names 422 parses
 * a body, so Fastify's body errors come with it: 413 (too large) and 415 (not JSON).
 */
export const pickProblems = (...codes: ProblemStatus[]) => {
  const all: ProblemStatus[] = [...codes, ...(codes.includes(422) ? ([413, 415] as const) : []), 500];
  return Object.fromEntries(all.map((c) => [c, problems[c]]));
};

export const NoContent = Type.Null({ description: 'No content' });
