import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

/**
 * Ajv instances: bodies are validated strictly (no type coercion, unknown fields refused, every
 * error reported within bounds: see `bounded`), while query strings and path parameters, which are
 * always text, are coerced to the declared types. Fastify's default would coerce bodies too ("42"
 * for a number) and silently strip unknown fields.
 * https://fastify.dev/docs/latest/Reference/Validation-and-Serialization/
 */
function makeAjv(coerceTypes: false | 'array', allErrors = true) {
  const ajv = new Ajv.default({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

/**
 * Past this many values (objects, arrays and scalars) an invalid body is reported by its first
 * error only. Looking for every error costs an error object per offending value: 100,000 numbers
 * where objects belong made 100,000 of them (and a 1 MB answer). A batch of 10,000 readings is
 * 40,002 values, so it is still checked in full.
 */
export const FULL_CHECK_MAX_VALUES = 50_000;

/** The keyword of the last error of a body that was not checked in full (problems.ts says so). */
export const NOT_CHECKED_IN_FULL = 'sitewatt:notCheckedInFull';

/** Whether `data` holds more than `limit` values; stops counting there (a list counts at once). */
function larger(data: unknown, limit: number): boolean {
  const stack = [data];
  let n = 1;
  while (stack.length > 0) {
    const v = stack.pop();
    const children = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : null;
    if (!children) continue;
    n += children.length;
    if (n > limit) return true;
    for (const child of children) stack.push(child);
  }
  return false;
}

/**
 * A body validator whose work is bounded: the first-error validator decides (and is all a valid
 * body costs); a failed body is then checked for every error only if it is small enough.
 */
function bounded(first: ValidateFunction, all: ValidateFunction) {
  const validate = (data: unknown) => {
    if (first(data)) {
      validate.errors = null;
      return true;
    }
    if (larger(data, FULL_CHECK_MAX_VALUES)) {
      validate.errors = [
        ...(first.errors ?? []),
        { keyword: NOT_CHECKED_IN_FULL, instancePath: '', schemaPath: '', params: {} },
      ] satisfies ErrorObject[];
      return false;
    }
    all(data);
    validate.errors = all.errors ?? null;
    return false;
  };
  validate.errors = null as ErrorObject[] | null;
  return validate;
}

// Compiled validators and serializers are pure functions of their schema, so they are cached by
// the schema's text and shared by every app in the process: building an app (each test builds
// one, and a restart builds one) then costs milliseconds instead of compiling ~100 schemas again.
//
// They are also compiled on first use rather than at boot: compiling every route's schemas is a
// large part of a restart (docs/performance.md, P9). server.ts calls `compilePending()` once it listens, so
// they are all compiled within a moment of starting, in small steps between requests.
let ajvs: { strict: Ajv.default; strictFirst: Ajv.default; loose: Ajv.default } | undefined;
const validators = new Map<string, ValidateFunction>();
const serializers = new Map<string, (data: unknown) => string>();
const pending = new Set<() => unknown>();

/** `make()` on the first call (or by compilePending), remembered under `key`. */
function lazy<F extends (data: unknown) => unknown>(
  cache: Map<string, F>,
  key: string,
  make: () => F,
): F & { errors?: unknown } {
  const ready = cache.get(key);
  if (ready) return ready;
  let fn: F | undefined;
  const load = () => {
    pending.delete(load);
    fn ??= cache.get(key);
    if (!fn) cache.set(key, (fn = make()));
    return fn;
  };
  pending.add(load);
  const wrapper = ((data: unknown) => {
    const f = fn ?? load();
    const result = f(data);
    // Fastify reads a failed validation's errors from the function it was given.
    wrapper.errors = (f as { errors?: unknown }).errors;
    return result;
  }) as F & { errors?: unknown };
  return wrapper;
}

/** Compiles every schema not compiled yet, one per turn of the event loop; resolves when done. */
export async function compilePending(): Promise<number> {
  let n = 0;
  for (const load of [...pending]) {
    await new Promise((resolve) => setImmediate(resolve));
    load();
    n++;
  }
  return n;
}

export function installValidators(app: FastifyInstance): void {
  ajvs ??= { strict: makeAjv(false), strictFirst: makeAjv(false, false), loose: makeAjv('array') };
  const { strict, strictFirst, loose } = ajvs;
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const key = `${httpPart === 'body' ? 'b' : 'q'}${JSON.stringify(schema)}`;
    // Query strings and path parameters are bounded by the URL's length; bodies by 1 MiB or more.
    return lazy(validators, key, () =>
      httpPart === 'body' ? bounded(strictFirst.compile(schema), strict.compile(schema)) : loose.compile(schema),
    );
  });
}

const buildDefault = SerializerSelector();

/** Fastify's own serializer factory (fast-json-stringify), memoised by schema text. */
export const schemaController: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildSerializer(externalSchemas, serializerOpts) {
      const compile = buildDefault(externalSchemas, serializerOpts);
      const prefix = JSON.stringify(Object.keys(externalSchemas ?? {}));
      return (route) => {
        const key = `${prefix}${'contentType' in route ? String(route.contentType) : ''}${JSON.stringify(route.schema)}`;
        return lazy(serializers, key, () => compile({ ...route, schema: nullableAsTypeList(route.schema) }));
      };
    },
  },
};

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * For serialisation only: `anyOf: [X, null]` (our `Nullable`) becomes X with `type: [X.type, 'null']`.
 * fast-json-stringify picks an `anyOf` branch by running Ajv on every value (date-time formats
 * included); a type list is a `typeof` check. Ajv on every value is a large share of a site's latest
 * values (20 metrics, each with a nullable `latest`). The served OpenAPI document and request
 * validation keep the `anyOf`.
 */
export function nullableAsTypeList(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(nullableAsTypeList);
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) out[k] = nullableAsTypeList(v);
  const branches = out.anyOf;
  if (Array.isArray(branches) && branches.length === 2 && Object.keys(out).length === 1) {
    const nul = branches.findIndex((b) => isObject(b) && b.type === 'null' && Object.keys(b).length === 1);
    const other = branches[1 - nul];
    if (
      nul !== -1 &&
      isObject(other) &&
      typeof other.type === 'string' &&
      other.anyOf === undefined &&
      other.const === undefined &&
      other.enum === undefined
    ) {
      return { ...other, type: [other.type, 'null'] };
    }
  }
  return out;
}
