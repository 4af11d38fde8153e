import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { publicCode, type FieldError } from '../../errors.js';
import { NOT_CHECKED_IN_FULL } from './validation.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Fastify's own client errors, mapped to our stable codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
};

const kebab = (code: string) => code.toLowerCase().replace(/_/g, '-');

/** What our schemas' patterns mean, in words. */
const PATTERNS: Record<string, string> = {
  '^[a-z][a-z0-9_]*$': 'must start with a letter and use only a–z, 0–9 and _',
  '\\S': 'must not be blank',
  '^[A-Za-z0-9_-]+$': 'is not a valid id',
};
const FORMATS: Record<string, string> = {
  email: 'is not an email address',
  'date-time': 'is not a date and time with a zone',
};

/**
 * Ajv's words ("must NOT have fewer than 1 characters", "must match pattern \"^[a-z]…\"") as a
 * person would say them beside a field; the API's problem details carry the same words.
 */
function said(keyword: string, p: Record<string, unknown>, fallback: string | undefined): string {
  switch (keyword) {
    case 'minLength':
      return p.limit === 1 ? 'is required' : `must be at least ${p.limit} characters`;
    case 'maxLength':
      return `must be at most ${p.limit} characters`;
    case 'pattern':
      return PATTERNS[String(p.pattern)] ?? 'has characters that are not allowed';
    case 'format':
      return FORMATS[String(p.format)] ?? `is not a valid ${p.format}`;
    case 'minimum':
      return `must be at least ${p.limit}`;
    case 'maximum':
      return `must be at most ${p.limit}`;
    case 'exclusiveMinimum':
      return `must be more than ${p.limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${p.limit}`;
    case 'minItems':
      return `must have at least ${p.limit} ${p.limit === 1 ? 'item' : 'items'}`;
    case 'maxItems':
      return `must have at most ${p.limit} items`;
    case 'type':
      return p.type === 'integer'
        ? 'must be a whole number'
        : p.type === 'number'
          ? 'must be a number'
          : p.type === 'boolean'
            ? 'must be true or false'
            : `must be ${p.type === 'array' ? 'a list' : p.type === 'object' ? 'an object' : `a ${String(p.type)}`}`;
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'const':
    case 'anyOf':
      return 'is not one of the allowed values';
    default:
      return fallback ?? 'is invalid';
  }
}

/** How many field errors an answer lists; the detail says how many more there were. */
export const MAX_LISTED_ERRORS = 100;

interface Listed {
  errors: FieldError[];
  /** How many more fields were found than listed; null when some were not looked for at all. */
  more: number | null;
}

/**
 * One error per field, the first MAX_LISTED_ERRORS of them. A nullable field (anyOf) otherwise
 * reports every branch, e.g. "must be <= 90", "must be null", "must match a schema in anyOf" for
 * latitude 91. Linear: a body of 10,000 wrong items must not cost 10,000² comparisons.
 */
function listed(all: Iterable<FieldError>, checkedInFull = true): Listed {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const e of all) {
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    if (errors.length < MAX_LISTED_ERRORS) errors.push(e);
  }
  return { errors, more: checkedInFull ? seen.size - errors.length : null };
}

/** What the detail adds when the list is not the whole story. */
function untold({ errors, more }: Listed): string {
  if (more === null) return ' (the body is too large to look for every error: only the first is listed)';
  return more > 0 ? ` (${errors.length} of ${errors.length + more} listed)` : '';
}

/** Ajv errors as JSON-pointer paths relative to the part that failed (body, query, params). */
function fieldErrors(error: FastifyError): Listed {
  const validation = error.validation ?? [];
  const checkedInFull = !validation.some((v) => v.keyword === NOT_CHECKED_IN_FULL);
  function* each(): Generator<FieldError> {
    for (const v of validation) {
      if (v.keyword === NOT_CHECKED_IN_FULL) continue;
      const params = v.params as Record<string, unknown>;
      const extra = params.missingProperty ?? params.additionalProperty;
      const path = `${v.instancePath}${extra ? `/${String(extra)}` : ''}` || '/';
      const message = params.additionalProperty
        ? 'is not an allowed field'
        : params.missingProperty
          ? 'is required'
          : said(v.keyword, params, v.message);
      yield { path, message };
    }
  }
  return listed(each(), checkedInFull);
}

/** Turns any error into problem details; 5xx details never leave the server. */
export function toProblem(error: FastifyError, request: FastifyRequest): Problem {
  if (error.validation) {
    // A well-formed body with wrong content is 422; a wrong query string or path is 400.
    const status = error.validationContext === 'body' ? 422 : 400;
    const found = fieldErrors(error);
    const errors = found.errors;
    const where =
      error.validationContext === 'body'
        ? 'body'
        : error.validationContext === 'querystring'
          ? 'query string'
          : error.validationContext;
    const detail = `Invalid ${where}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}${untold(found)}`;
    return {
      type: 'urn:sitewatt:problem:validation-failed',
      title: TITLES[status],
      status,
      detail,
      code: 'VALIDATION_FAILED',
      errors,
    };
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed');
    return {
      type: 'urn:sitewatt:problem:internal',
      title: TITLES[status] ?? 'Server Error',
      status,
      detail: 'Something went wrong on our side.',
      code: status === 503 ? 'UNAVAILABLE' : 'INTERNAL',
    };
  }
  const code = error.code?.startsWith('SW_')
    ? publicCode(error.code)
    : (FASTIFY_CODES[error.code] ?? (status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST'));
  const problem: Problem = {
    type: `urn:sitewatt:problem:${kebab(code)}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail: error.message,
    code,
  };
  const withErrors = error as FastifyError & { errors?: FieldError[] };
  if (withErrors.errors) {
    const found = listed(withErrors.errors);
    problem.errors = found.errors;
    problem.detail += untold(found);
  }
  return problem;
}

/** An error's `retryAfter` (seconds, e.g. a throttled sign-in) as Retry-After, unless one is set (the limiter sets its own). */
export function sendRetryAfter(error: FastifyError, reply: FastifyReply) {
  const retryAfter = (error as { retryAfter?: unknown }).retryAfter;
  if (typeof retryAfter === 'number' && !reply.hasHeader('retry-after'))
    reply.header('retry-after', String(retryAfter));
}

/**
 * The error handler of everything but the pages: the API, and the health, metrics, docs and asset
 * routes (set at the root; the pages set their own). Answers problem+json.
 */
export async function sendProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const refusal = await request.server.rateLimits.countMissed(request, reply);
  if (refusal) error = refusal as FastifyError;
  const problem = toProblem(error, request);
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="sitewatt"');
  sendRetryAfter(error, reply);
  return reply.code(problem.status).type('application/problem+json').send(problem);
}
