// PostgreSQL's refusals as the repositories need them. Drizzle wraps a driver error in
// DrizzleQueryError with the driver's error as `cause`; a query on the pool raises it as is.

interface PgError {
  code?: string;
  constraint?: string;
  cause?: unknown;
}

/** True when `err` (or what it wraps) is a unique violation (SQLSTATE 23505), of `constraint` when given. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  for (let e = err as PgError | undefined, depth = 0; e && depth < 3; e = e.cause as PgError | undefined, depth++) {
    if (e.code === '23505') return constraint === undefined || e.constraint === constraint;
  }
  return false;
}
