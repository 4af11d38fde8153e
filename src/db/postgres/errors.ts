// PostgreSQL's refusals as the repositories need them. Drizzle wraps a driver error in
// DrizzleQueryError with the driver's error as `cause`; a query on the pool raises it as is.

interface PgError {
  code?: string;
  constraint?: string;
  cause?: unknown;
}

/** The driver's error behind `err` (drizzle wraps it once), if any. */
function pgError(err: unknown): PgError | undefined {
  for (let e = err as PgError | undefined, depth = 0; e && depth < 3; e = e.cause as PgError | undefined, depth++) {
    if (typeof e.code === 'string') return e;
  }
  return undefined;
}

/** True when `err` (or what it wraps) is a unique violation (SQLSTATE 23505), of `constraint` when given. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = pgError(err);
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/**
 * A deadlock (40P01) or serialization failure (40001): PostgreSQL rolled the transaction back
 * whole, and running it again is safe and usually succeeds.
 */
export function isRetryable(err: unknown): boolean {
  const code = pgError(err)?.code;
  return code === '40P01' || code === '40001';
}
