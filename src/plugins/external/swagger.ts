import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { projectRoot } from '../../paths.js';
import { SESSION_COOKIE } from './session.js';

// x-internal: false says the API is meant for clients outside the operator's network too (OWASP API9).
const server = { url: '/', 'x-internal': false };

/** OpenAPI 3.1 for every /api route (pages are hidden), served at /openapi.json; Swagger UI at /docs. */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Sitewatt API',
          version: '0.1.0',
          description: 'Energy sites, devices, metrics and readings. Errors are application/problem+json.',
          license: { name: 'MIT', identifier: 'MIT' },
        },
        servers: [server],
        components: {
          securitySchemes: {
            cookieAuth: {
              type: 'apiKey',
              in: 'cookie',
              name: SESSION_COOKIE,
              description: 'Session cookie from POST /api/auth/login',
            },
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'Personal API token from POST /api/me/tokens' },
          },
        },
        security: [{ cookieAuth: [] }, { bearerAuth: [] }],
        tags: [
          { name: 'auth', description: 'Sign in and out, the current user, API tokens' },
          { name: 'sites', description: 'Sites, members and audit' },
          { name: 'devices', description: 'Devices on a site' },
          { name: 'metrics', description: 'Metrics and their latest values' },
          { name: 'users', description: 'User administration (admins)' },
          { name: 'readings', description: 'Ingestion' },
          { name: 'telemetry', description: "A device's values by metric key, sent with its ingest key" },
          { name: 'ingest keys', description: 'Credentials of field devices that may only send telemetry' },
          { name: 'subscriptions', description: 'Saved metric sets and their live streams' },
          { name: 'timeseries', description: 'Aligned history, JSON or CSV' },
          { name: 'alarms', description: 'Alarm rules on metrics and the alarms they raise' },
          { name: 'webhooks', description: "A site's alarm webhooks and their deliveries (admins)" },
          { name: 'energy', description: 'Energy balance per day, week or month, JSON or CSV' },
          { name: 'health', description: 'Liveness' },
        ],
      },
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
      },
      transformObject: (document) => {
        if (!('openapiObject' in document)) return document.swaggerObject;
        declareRateLimits(document.openapiObject as OpenApiDocument);
        return document.openapiObject;
      },
      transform: ({ schema, url, route }) => ({
        schema:
          url.startsWith('/api') || url === '/healthz'
            ? { operationId: operationId(route.method, url), ...schema }
            : { ...schema, hide: true },
        url,
      }),
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    // Sitewatt's name, logo and icon in place of Swagger UI's and Fastify's.
    const asset = (name: string) => readFileSync(join(projectRoot(), 'public', name));
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { docExpansion: 'list', deepLinking: true },
      logo: { type: 'image/svg+xml', content: asset('docs-logo.svg'), href: '/docs', target: '_self' },
      theme: {
        title: 'Sitewatt API',
        favicon: [
          { filename: 'favicon.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: asset('favicon.svg') },
        ],
      },
    });
  },
  { name: 'swagger' },
);

interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Record<string, { headers?: Record<string, unknown> }> }>>;
  components?: { headers?: Record<string, unknown> };
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
const header = (name: string) => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = {
  RateLimit: {
    description:
      'Requests left in the current window (r) and seconds until it ends (t), e.g. `"default";r=599;t=42` (draft-ietf-httpapi-ratelimit-headers-10)',
    schema: { type: 'string' },
  },
  'RateLimit-Policy': {
    description:
      'The quota (q) per window of w seconds: "default" per user (session and tokens together), "anonymous" per client address, "health" per address for probes; e.g. `"default";q=600;w=60`',
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds until the window ends', schema: { type: 'integer', minimum: 1 } },
};
const TOO_MANY_REQUESTS = {
  description: 'Too many requests: over the quota of RateLimit-Policy; retry after Retry-After seconds',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

/**
 * Every operation is counted against a budget (src/plugins/app/rate-limits.ts): its 2xx and 4xx
 * answers carry RateLimit and RateLimit-Policy, and any of them can be a 429 with Retry-After.
 */
function declareRateLimits(doc: OpenApiDocument): void {
  doc.components = { ...doc.components, headers: RATE_LIMIT_HEADERS };
  for (const item of Object.values(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const responses = { ...op.responses, 429: { ...TOO_MANY_REQUESTS, ...op.responses?.[429] } };
      op.responses = Object.fromEntries(
        Object.entries(responses)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([status, response]) => [
            status,
            /^[24]/.test(status)
              ? {
                  ...response,
                  headers: {
                    ...response.headers,
                    RateLimit: header('RateLimit'),
                    'RateLimit-Policy': header('RateLimit-Policy'),
                    ...(status === '429' ? { 'Retry-After': header('Retry-After') } : {}),
                  },
                }
              : response,
          ]),
      );
    }
  }
}

/**
 * A stable operationId from the method and path, so generated clients get names without a
 * hand-kept list: GET /api/sites/:siteId/devices is getSitesBySiteIdDevices.
 */
export function operationId(method: string | string[], url: string): string {
  const verb = (Array.isArray(method) ? method[0] : method).toLowerCase();
  const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const parts = url
    .split('/')
    .filter((s) => s !== '' && s !== 'api')
    .map((s) =>
      s.startsWith(':')
        ? `By${upper(s.slice(1))}`
        : s
            .split(/[^A-Za-z0-9]+/)
            .map(upper)
            .join(''),
    );
  return verb + parts.join('');
}
