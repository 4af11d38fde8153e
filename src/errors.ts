// The one error catalog (after fastify's lib/errors.js). Services throw these; the error
// handlers turn them into application/problem+json (API) or an error page (HTML).
import createError from '@fastify/error';

export interface FieldError {
  path: string;
  message: string;
}

/** An error that carries field-level details (validation). */
export interface DetailedError extends Error {
  code: string;
  statusCode: number;
  errors?: FieldError[];
}

const E = (code: string, message: string, status: number) => createError(`SW_${code}`, message, status);

export const errors = {
  UNAUTHENTICATED: E('UNAUTHENTICATED', 'Authentication required', 401),
  INVALID_CREDENTIALS: E('INVALID_CREDENTIALS', 'Invalid email or password', 401),
  FORBIDDEN: E('FORBIDDEN', 'You are not allowed to %s', 403),
  SESSION_REQUIRED: E('SESSION_REQUIRED', 'Only a signed-in session may %s; an API token may not', 403),
  SITE_NOT_FOUND: E('SITE_NOT_FOUND', 'Site not found', 404),
  DEVICE_NOT_FOUND: E('DEVICE_NOT_FOUND', 'Device not found', 404),
  METRIC_NOT_FOUND: E('METRIC_NOT_FOUND', 'Metric not found', 404),
  USER_NOT_FOUND: E('USER_NOT_FOUND', 'User not found', 404),
  MEMBER_NOT_FOUND: E('MEMBER_NOT_FOUND', 'Membership not found', 404),
  TOKEN_NOT_FOUND: E('TOKEN_NOT_FOUND', 'Token not found', 404),
  INGEST_KEY_NOT_FOUND: E('INGEST_KEY_NOT_FOUND', 'Ingest key not found', 404),
  SUBSCRIPTION_NOT_FOUND: E('SUBSCRIPTION_NOT_FOUND', 'Subscription not found', 404),
  ALARM_RULE_NOT_FOUND: E('ALARM_RULE_NOT_FOUND', 'Alarm rule not found', 404),
  ALARM_NOT_FOUND: E('ALARM_NOT_FOUND', 'Alarm not found', 404),
  WEBHOOK_NOT_FOUND: E('WEBHOOK_NOT_FOUND', 'Webhook not found', 404),
  NOT_FOUND: E('NOT_FOUND', 'Not found', 404),
  EMAIL_TAKEN: E('EMAIL_TAKEN', 'A user with this email already exists', 409),
  METRIC_KEY_TAKEN: E('METRIC_KEY_TAKEN', 'This device already has a metric with key "%s"', 409),
  PRECONDITION_FAILED: E('PRECONDITION_FAILED', 'The resource was changed by someone else (ETag mismatch)', 412),
  LAST_METRIC: E('LAST_METRIC', 'A device must keep at least one metric', 409),
  ALARM_ACKNOWLEDGED: E('ALARM_ACKNOWLEDGED', 'This alarm is acknowledged already', 409),
  ALARM_CLEARED: E('ALARM_CLEARED', 'This alarm is cleared already', 409),
  VALIDATION_FAILED: E('VALIDATION_FAILED', '%s', 422),
  BAD_REQUEST: E('BAD_REQUEST', '%s', 400),
  INVALID_CURSOR: E('INVALID_CURSOR', 'The cursor is not valid; start again without it', 400),
  SERIES_TOO_LARGE: E('SERIES_TOO_LARGE', '%s', 400),
  RATE_LIMITED: E('RATE_LIMITED', 'Too many requests', 429),
  TOO_MANY_STREAMS: E('TOO_MANY_STREAMS', 'Too many open streams', 429),
} as const;

/** Builds a 422 with field errors: `invalid([{path: '/name', message: 'is required'}])`. */
export function invalid(fieldErrors: FieldError[], detail = 'The request has invalid fields'): DetailedError {
  const err = new errors.VALIDATION_FAILED(detail) as DetailedError;
  err.errors = fieldErrors;
  return err;
}

export function badRequest(detail: string, fieldErrors?: FieldError[]): DetailedError {
  const err = new errors.BAD_REQUEST(detail) as DetailedError;
  if (fieldErrors) err.errors = fieldErrors;
  return err;
}

const count = (n: number) => n.toLocaleString('en-US');

/** A time series over the size one answer may have (metrics × buckets). */
export function seriesTooLarge(metrics: number, buckets: number, max: number): DetailedError {
  return new errors.SERIES_TOO_LARGE(
    `The answer would hold ${count(metrics * buckets)} values (${count(metrics)} metrics × ${count(buckets)} buckets), ` +
      `more than the ${count(max)} allowed; choose a longer interval, a shorter window or fewer metrics`,
  ) as DetailedError;
}

/**
 * A request over its budget (src/plugins/app/rate-limits.ts): 429 with Retry-After. Made without a
 * stack trace: a flood brings many refusals, each should cost little, and none is logged with a stack.
 */
export function overQuota(quota: number, windowSeconds: number, per: string, retryAfter: number): DetailedError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const err = new errors.RATE_LIMITED() as DetailedError & { retryAfter: number };
    err.message = `Too many requests: at most ${quota} every ${windowSeconds} seconds per ${per}; retry in ${retryAfter} seconds`;
    err.retryAfter = retryAfter;
    return err;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Stable code without the SW_ prefix, e.g. SITE_NOT_FOUND. */
export const publicCode = (code: string) => code.replace(/^SW_/, '');
