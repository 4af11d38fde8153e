import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { SESSION_COOKIE } from './session.js';

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
        servers: [{ url: '/' }],
        components: {
          securitySchemes: {
            cookieAuth: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Session cookie from POST /api/auth/login' },
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
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
      transform: ({ schema, url }) => ({ schema: url.startsWith('/api') || url === '/healthz' ? schema : { ...schema, hide: true }, url }),
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  },
  { name: 'swagger' },
);
