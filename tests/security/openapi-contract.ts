// Reads the served OpenAPI document: its operations, and whether a response keeps its promise
// (a declared status, its declared headers, a declared media type, a body that validates against the declared schema).
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';
import type { JsonSchema } from './schema-arbitrary.js';

export interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: {
    required?: boolean;
    content: Record<string, { schema: JsonSchema; examples?: Record<string, { value: unknown }> }>;
  };
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }>; headers?: Record<string, unknown> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

export interface Op {
  method: string;
  path: string;
  op: Operation;
}

export function operations(doc: OpenApiDocument): Op[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

/** Validators for every response schema of the document; `#/components/...` refs resolve against it. */
export function contract(doc: OpenApiDocument) {
  const ajv = new Ajv.default({ strict: false, allErrors: false });
  addFormats.default(ajv);
  const cache = new Map<object, ValidateFunction>();
  const validator = (schema: JsonSchema) => {
    let v = cache.get(schema);
    if (!v) {
      // The document's components ride along at the root, so "#/components/schemas/Problem" resolves.
      v = ajv.compile({ ...schema, components: doc.components });
      cache.set(schema, v);
    }
    return v;
  };

  /** Why the response breaks the contract of the operation, or null when it keeps it. */
  function violation(
    op: Operation,
    res: Pick<LightMyRequestResponse, 'statusCode' | 'headers' | 'body'>,
  ): string | null {
    if (res.statusCode >= 500) return `server error ${res.statusCode}: ${res.body.slice(0, 300)}`;
    const declared = op.responses[String(res.statusCode)] ?? op.responses.default;
    if (!declared) return `undeclared status ${res.statusCode}: ${res.body.slice(0, 300)}`;
    // Declared headers (RateLimit, RateLimit-Policy, Retry-After on 429) are on the answer.
    const missing = Object.keys(declared.headers ?? {}).filter((h) => res.headers[h.toLowerCase()] === undefined);
    if (missing.length > 0) return `status ${res.statusCode} lacks the declared headers ${missing.join(', ')}`;
    const content = declared.content ?? {};
    if (Object.keys(content).length === 0)
      return res.body === '' ? null : `status ${res.statusCode} declares no content but got ${res.body.slice(0, 100)}`;
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    const media = content[type];
    if (!media)
      return `status ${res.statusCode} with undeclared content type "${type}" (declared: ${Object.keys(content).join(', ')})`;
    const json = type === 'application/json' || type.endsWith('+json');
    let body: unknown = res.body;
    if (json) {
      try {
        body = JSON.parse(res.body);
      } catch {
        return `status ${res.statusCode}: ${type} body is not JSON`;
      }
    }
    const validate = validator(media.schema);
    if (!validate(body))
      return `status ${res.statusCode} body does not match its schema: ${ajv.errorsText(validate.errors)}; body ${res.body.slice(0, 300)}`;
    return null;
  }

  return { violation };
}
