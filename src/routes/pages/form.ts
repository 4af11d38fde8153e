// HTML forms post flat text fields; the services take the JSON bodies' shapes. These helpers
// turn one into the other using the same TypeBox schema, so a form field has the JSON field's name
// (`metrics[2][key]` for an array of objects) and the same validation message. `submitForm` is
// what every form route does with them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DetailedError, FieldError } from '../../errors.js';
import { toProblem } from '../../plugins/app/problems.js';
import { redirect } from './render.js';

type Schema = {
  type?: string | string[];
  anyOf?: Schema[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  const?: unknown;
};
type Flat = Record<string, unknown>;

function types(s: Schema): Set<string> {
  const out = new Set<string>();
  const t = s.type;
  if (Array.isArray(t)) t.forEach((x) => out.add(x));
  else if (t) out.add(t);
  if (s.enum || typeof s.const === 'string') out.add('string');
  for (const sub of s.anyOf ?? []) types(sub).forEach((x) => out.add(x));
  return out;
}

/** Whether any string is allowed (not only listed values). */
const freeText = (s: Schema): boolean =>
  (!s.enum && s.const === undefined && (s.type === 'string' || (Array.isArray(s.type) && s.type.includes('string')))) ||
  (s.anyOf ?? []).some(freeText);

const objectSchema = (s: Schema) => (s.properties ? s : s.anyOf?.find((x) => x.properties));

/** Names that would reach a prototype: `__proto__[x]=1` once set `x` on every object in the process. */
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `a[0][b]=1` → `{a: {0: {b: '1'}}}`. A field naming a prototype is dropped (no form of ours has
 * one; the schema then reports what is missing), and a plain value met where rows are expected
 * (`a=x&a[0][b]=1`) gives way to them instead of failing the request.
 */
export function unflatten(flat: Flat): Flat {
  const out: Flat = {};
  for (const [name, value] of Object.entries(flat)) {
    const parts = name.replace(/\]/g, '').split('[');
    if (parts.some((p) => UNSAFE.has(p))) continue;
    let node = out;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = Array.isArray(value) ? value[value.length - 1] : value;
      else {
        const next = Object.hasOwn(node, p) ? node[p] : undefined;
        node = (next !== null && typeof next === 'object' ? next : (node[p] = {})) as Flat;
      }
    });
  }
  return out;
}

function coerce(schema: Schema, raw: unknown): unknown {
  const t = types(schema);
  if (t.has('array') && raw && typeof raw === 'object' && !Array.isArray(raw)) {
    // Rows can be removed from the middle: keep their order, close the gaps.
    const rows = Object.entries(raw as Flat).sort(([a], [b]) => Number(a) - Number(b));
    return rows.map(([, v]) => coerce(schema.items ?? {}, v));
  }
  const obj = objectSchema(schema);
  if (obj?.properties && raw && typeof raw === 'object') {
    const out: Flat = {};
    for (const [k, v] of Object.entries(raw as Flat)) {
      const c = coerce(obj.properties[k] ?? {}, v);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  if (typeof raw !== 'string') return raw;
  // A select's empty choice for a nullable list of values ("none") is null; free text stays text.
  if (raw === '' && t.has('null') && !freeText(schema)) return null;
  if (raw.trim() === '' && !t.has('string')) return t.has('null') ? null : undefined;
  if ((t.has('number') || t.has('integer')) && !t.has('string'))
    return Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (t.has('boolean') && !t.has('string'))
    return raw === 'true' || raw === 'on' ? true : raw === 'false' ? false : raw;
  return raw;
}

/** Whether the body came as a form; media types are case-insensitive (RFC 9110), parameters aside. */
export const isForm = (request: FastifyRequest) =>
  /^\s*application\/x-www-form-urlencoded\s*(;|$)/i.test(request.headers['content-type'] ?? '');

/** A preValidation hook: the parsed form becomes the JSON body the route's schema validates. */
export function fromForm(schema: object) {
  return async (request: FastifyRequest) => {
    if (request.body && typeof request.body === 'object' && isForm(request))
      request.body = coerce(schema as Schema, unflatten(request.body as Flat));
  };
}

export type Errors = Record<string, string>;

const byPath = (list: FieldError[]): Errors => Object.fromEntries(list.map((e) => [e.path, e.message]));

/** The schema's complaints (route option attachValidation), keyed by JSON pointer. */
export function validationErrors(request: FastifyRequest): Errors | null {
  const err = request.validationError;
  if (!err) return null;
  return byPath(
    toProblem(err as Parameters<typeof toProblem>[0], request).errors ?? [{ path: '', message: err.message }],
  );
}

/** A domain refusal the form can show beside a field (422, 409); anything else is rethrown. */
export function serviceErrors(err: unknown, fieldFor: Record<string, string> = {}): Errors {
  const e = err as DetailedError;
  if (e?.statusCode === 422 && e.errors) return byPath(e.errors);
  if (e?.statusCode === 409 || e?.statusCode === 422) return { [fieldFor[e.code] ?? '']: e.message };
  throw err;
}

/** `/metrics/2/key` → `metrics[2][key]`: the form field a JSON pointer names. */
export const fieldName = (pointer: string) =>
  pointer
    .slice(1)
    .split('/')
    .map((p, i) => (i === 0 ? p : `[${p}]`))
    .join('');

/** How a form route answers; `submitForm` runs these in order. */
export interface Submission<T> {
  /** What the form acts on is still there (a stale page): checked before the fields are. */
  check?: () => Promise<unknown>;
  /** The service call, made only when the fields are valid. */
  run: () => Promise<T>;
  /** Where the browser goes next (a 303, or HX-Redirect for htmx), or an answer of its own. */
  done: (result: T) => string | Promise<FastifyReply>;
  /** The page again with the messages by field (JSON pointer); the route gives its status (422 for fields). */
  again?: (errors: Errors) => Promise<FastifyReply>;
  /** A refusal with an answer of its own (a stale edit's 412, a user deleted meanwhile), or undefined. */
  refused?: (err: unknown) => Promise<FastifyReply> | undefined;
  /** Refusals as field messages; by default serviceErrors with `fieldFor`. Anything else is rethrown. */
  errorsOf?: (err: unknown) => Errors;
  /** Error code → the field a refusal without one belongs to (`SW_EMAIL_TAKEN` → `/email`). */
  fieldFor?: Record<string, string>;
}

/**
 * Every form route: validate, call the service, then redirect with the outcome in the URL, or
 * show the page again with each message beside its field. Errors that are not the form's (403,
 * 404, 5xx) go on to the pages' error handler.
 */
export async function submitForm<T>(request: FastifyRequest, reply: FastifyReply, s: Submission<T>) {
  let outcome: { result: T } | { errors: Errors };
  try {
    await s.check?.();
    const invalid = validationErrors(request);
    outcome = invalid ? { errors: invalid } : { result: await s.run() };
  } catch (err) {
    const answer = s.refused?.(err);
    if (answer) return answer;
    if (!s.again) throw err;
    outcome = { errors: s.errorsOf ? s.errorsOf(err) : serviceErrors(err, s.fieldFor) };
  }
  if ('errors' in outcome) {
    if (!s.again) throw request.validationError;
    return s.again(outcome.errors);
  }
  const next = await s.done(outcome.result);
  return typeof next === 'string' ? redirect(request, reply, next) : next;
}
