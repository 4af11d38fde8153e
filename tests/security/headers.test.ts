// Security headers come from helmet, computed once at boot (not per request): every answer carries them,
// and only Swagger UI gets the relaxed style policy it needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';

let app: App;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(() => app.close());

describe('security headers', () => {
  it.each(['/api/me', '/healthz', '/login', '/no-such-page', '/openapi.json'])(
    "When %s is fetched, then helmet's headers and the strict policy are on the answer",
    async (url) => {
      const res = await app.inject({ url });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
      expect(res.headers['x-request-id']).toBeTruthy();
    },
  );

  it('When Swagger UI is fetched, then only its style policy allows inline styles; scripts stay strict', async () => {
    const res = await app.inject({ url: '/docs/' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
  });

  it('When a path only starts like /docs (/docsX, /docs-old), then it gets the strict policy', async () => {
    for (const url of ['/docsX', '/docs-old/index.html', '/api/docs']) {
      const csp = String((await app.inject({ url })).headers['content-security-policy']);
      expect(csp, url).not.toContain('unsafe-inline');
    }
    expect(String((await app.inject({ url: '/docs' })).headers['content-security-policy'])).toMatch(
      /style-src 'self' 'unsafe-inline'/,
    );
  });
});
