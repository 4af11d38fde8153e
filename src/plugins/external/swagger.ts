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
          { name: 'subscriptions', description: 'Saved metric sets and their live streams' },
          { name: 'timeseries', description: 'Aligned history, JSON or CSV' },
          { name: 'health', description: 'Liveness' },
        ],
      },
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
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
