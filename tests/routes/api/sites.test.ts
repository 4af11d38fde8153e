import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs } from '../../helpers/app.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

describe('GET /api/sites/:siteId', () => {
  it('When a viewer of the site asks, then it gets the site with its role and device count', async () => {
    const res = await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: w.site.id, name: 'Main Site', role: 'viewer', deviceCount: 1, timezone: 'Europe/Berlin' });
  });

  it('When a non-member asks, then it gets exactly the 404 of a site that does not exist', async () => {
    const hidden = await injectAs(app, w.outsider, { method: 'GET', url: `/api/sites/${w.site.id}` });
    const missing = await injectAs(app, w.outsider, { method: 'GET', url: '/api/sites/site_doesnotexist' });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(hidden.body).toBe(missing.body);
    expect(hidden.body).not.toContain('Main Site');
  });

  it('When nobody is signed in, then it gets 401', async () => {
    const res = await injectAs(app, null, { method: 'GET', url: `/api/sites/${w.site.id}` });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
  });
});
