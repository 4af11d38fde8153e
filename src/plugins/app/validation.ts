import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Two Ajv instances: bodies are validated strictly (no type coercion, unknown fields refused,
 * every error reported), while query strings and path parameters, which are always text, are
 * coerced to the declared types. Fastify's default would coerce bodies too ("42" for a number)
 * and silently strip unknown fields. https://fastify.dev/docs/latest/Reference/Validation-and-Serialization/
 */
export function installValidators(app: FastifyInstance): void {
  const strict = new Ajv.default({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: true, strict: false });
  const loose = new Ajv.default({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: true, strict: false });
  for (const ajv of [strict, loose]) {
    addFormats.default(ajv);
  }
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : loose).compile(schema));
}
