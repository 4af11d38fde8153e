import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

/**
 * Two Ajv instances: bodies are validated strictly (no type coercion, unknown fields refused,
 * every error reported), while query strings and path parameters, which are always text, are
 * coerced to the declared types. Fastify's default would coerce bodies too ("42" for a number)
 * and silently strip unknown fields. https://fastify.dev/docs/latest/Reference/Validation-and-Serialization/
 */
function makeAjv(coerceTypes: false | 'array') {
  const ajv = new Ajv.default({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv;
}

// Compiled validators and serializers are pure functions of their schema, so they are cached by
// the schema's text and shared by every app in the process: building an app (each test builds
// one, and a restart builds one) then costs milliseconds instead of compiling ~100 schemas again.
let ajvs: { strict: Ajv.default; loose: Ajv.default } | undefined;
const validators = new Map<string, ValidateFunction>();
const serializers = new Map<string, (data: unknown) => string>();

export function installValidators(app: FastifyInstance): void {
  ajvs ??= { strict: makeAjv(false), loose: makeAjv('array') };
  const { strict, loose } = ajvs;
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const key = `${httpPart === 'body' ? 'b' : 'q'}${JSON.stringify(schema)}`;
    let fn = validators.get(key);
    if (!fn) validators.set(key, (fn = (httpPart === 'body' ? strict : loose).compile(schema)));
    return fn;
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
        let fn = serializers.get(key);
        if (!fn) serializers.set(key, (fn = compile({ ...route, schema: nullableAsTypeList(route.schema) })));
        return fn;
      };
    },
  },
};

type Json = { [key: string]: unknown };
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * For serialisation only: `anyOf: [X, null]` (our `Nullable`) becomes X with `type: [X.type, 'null']`.
 * fast-json-stringify picks an `anyOf` branch by running Ajv on every value (date-time formats
 * included); a type list is a `typeof` check. That was ~15 % of a site's latest values (20
 * metrics, each with a nullable `latest`), issue #6. The served OpenAPI document and request
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
    if (nul !== -1 && isObject(other) && typeof other.type === 'string' && other.anyOf === undefined && other.const === undefined && other.enum === undefined) {
      return { ...other, type: [other.type, 'null'] };
    }
  }
  return out;
}
