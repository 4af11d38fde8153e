import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld } from '../../helpers/app.js';
import { signIn } from '../../helpers/pages.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(async () => app.close());

describe('GET and POST /sites/:siteId/webhooks', () => {
  it('When an admin adds a webhook with two severities, then it is listed without its secret', async () => {
    const browser = await signIn(app, w.admin.email);
    const page = await browser.get(`/sites/${w.site.id}/webhooks`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This site has no webhooks.');
    const added = await browser.post(`/sites/${w.site.id}/webhooks`, {
      url: 'https://hooks.example.com/sitewatt',
      secret: 'a very secret secret',
      severities: ['critical', 'major'],
    });
    expect(added.statusCode).toBe(303);
    const listed = await browser.get(`/sites/${w.site.id}/webhooks`);
    expect(listed.body).toContain('https://hooks.example.com/sitewatt');
    expect(listed.body).toContain('Severities: critical, major');
    expect(listed.body).not.toContain('a very secret secret');
  });

  it('When the URL is a private address, then the form comes back with 422 beside the URL and the secret is not echoed', async () => {
    const browser = await signIn(app, w.admin.email);
    const res = await browser.post(`/sites/${w.site.id}/webhooks`, {
      url: 'http://169.254.169.254/latest',
      secret: 'a very secret secret',
      severities: 'critical',
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="hook-url-error"');
    expect(res.body).not.toContain('a very secret secret');
  });

  it('When a technician opens the page, then 403', async () => {
    const browser = await signIn(app, w.technician.email);
    expect((await browser.get(`/sites/${w.site.id}/webhooks`)).statusCode).toBe(403);
  });
});
