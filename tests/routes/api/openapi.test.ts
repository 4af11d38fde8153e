import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp } from '../../helpers/app.js';

// Read-only tests of one document: one app for the file is enough.
let app: App;
let spec: OpenApi;

interface Operation {
  requestBody?: { content: Record<string, { schema?: object }> };
  parameters?: { in: string; name: string; schema?: object }[];
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
  security?: object[];
  tags?: string[];
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; in?: string }> };
  security?: object[];
}

beforeAll(async () => {
  app = await buildTestApp();
  spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(() => app.close());

/** Every registered route, rebuilt from Fastify's route tree (segments concatenate down the tree). */
function registeredRoutes(): { method: string; url: string }[] {
  const out: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─ ]*)(\S.*?)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4 - 1;
    stack.length = depth;
    stack.push(m[2]);
    for (const method of m[3]?.split(', ') ?? []) out.push({ method, url: stack.join('') });
  }
  return out;
}

const apiRoutes = () => registeredRoutes().filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

describe('GET /openapi.json', () => {
  it('When the route table is compared with the document, then every /api route and method is described', () => {
    const routes = apiRoutes();
    // The contract of the README, so a broken route tree parse cannot make this pass vacuously.
    for (const must of [
      'POST /api/auth/login',
      'GET /api/sites/:siteId/audit',
      'PUT /api/sites/:siteId/members/:userId',
      'DELETE /api/metrics/:metricId',
      'PATCH /api/users/:userId',
      'DELETE /api/me/tokens/:tokenId',
    ]) {
      expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(must);
    }
    const missing = routes.filter((r) => !spec.paths[toOpenApiPath(r.url)]?.[r.method.toLowerCase()]);
    expect(missing).toEqual([]);
  });

  it('When an operation takes input, then the document gives its body, path and query schemas', () => {
    for (const { method, url } of apiRoutes()) {
      const op = spec.paths[toOpenApiPath(url)][method.toLowerCase()];
      const where = `${method} ${url}`;
      for (const [, name] of url.matchAll(/:(\w+)/g)) {
        expect(
          op.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema,
          `${where}: path ${name}`,
        ).toBeDefined();
      }
      if (['POST', 'PUT', 'PATCH'].includes(method)) {
        const content = Object.values(op.requestBody?.content ?? {});
        expect(content.length, `${where}: request body`).toBeGreaterThan(0);
        for (const c of content) expect(c.schema, `${where}: request body schema`).toBeDefined();
      }
    }
    const sitesQuery = spec.paths['/api/sites'].get.parameters!.filter((p) => p.in === 'query').map((p) => p.name);
    expect(sitesQuery.sort()).toEqual(['cursor', 'limit', 'q']);
  });

  it('When an operation succeeds, then the document gives the schema of its success response and of its problems', () => {
    for (const { method, url } of apiRoutes()) {
      const op = spec.paths[toOpenApiPath(url)][method.toLowerCase()];
      const where = `${method} ${url}`;
      const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect(success.length, `${where}: a 2xx response`).toBeGreaterThan(0);
      for (const [status, res] of success) {
        if (status === '204') continue;
        const schemas = Object.values(res.content ?? {}).map((c) => c.schema);
        expect(schemas.length, `${where}: ${status} content`).toBeGreaterThan(0);
        for (const s of schemas) expect(s, `${where}: ${status} schema`).toBeDefined();
      }
      for (const [status, res] of Object.entries(op.responses).filter(([s]) => /^4\d\d$/.test(s))) {
        expect(res.content?.['application/problem+json']?.schema, `${where}: ${status} problem schema`).toBeDefined();
      }
    }
  });

  it('When a client reads the security schemes, then both the session cookie and the bearer token are described and required by default', () => {
    expect(spec.components.securitySchemes.cookieAuth).toMatchObject({ type: 'apiKey', in: 'cookie' });
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(spec.security).toEqual(expect.arrayContaining([{ cookieAuth: [] }, { bearerAuth: [] }]));
    expect(spec.paths['/api/auth/login'].post.security).toEqual([]);
  });

  it('When the document is listed, then it holds only /api routes and /healthz, never page routes', () => {
    const outside = Object.keys(spec.paths).filter((p) => !p.startsWith('/api/') && p !== '/healthz');
    expect(outside).toEqual([]);
    expect(spec.openapi).toMatch(/^3\.1/);
  });
});
