import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld } from '../../helpers/app.js';
import { HX, signIn } from '../../helpers/pages.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

describe('/account/tokens', () => {
  it('When a user creates a token, then it is shown once with a copy button, listed, and can be revoked', async () => {
    const b = await signIn(app, w.viewer.email);
    const created = await b.post('/account/tokens', { name: 'nightly export', expiresInDays: '' }, { headers: HX });
    expect(created.statusCode).toBe(201);
    expect(created.body).toMatch(/value="sw_[A-Za-z0-9_-]+"/);
    expect(created.body).toContain('Copy token');
    const page = await b.get('/account/tokens');
    expect(page.headers.vary).toMatch(/HX-Request/);
    expect(page.body).toContain('Revoke token nightly export');
    expect(page.body).not.toMatch(/value="sw_/);
    const [token] = (await app.services.auth.listTokens((await app.services.auth.loadActor(w.viewer.id))!)).filter((t) => t.name === 'nightly export');
    expect((await b.post(`/account/tokens/${token.id}/revoke`, {})).statusCode).toBe(303);
    expect((await b.get('/account/tokens')).body).not.toContain('Revoke token nightly export');
  });

  it('When the name is empty, then 422 with the message beside the field', async () => {
    const res = await (await signIn(app, w.viewer.email)).post('/account/tokens', { name: '' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="token-name-error"');
  });
});

describe('/admin', () => {
  it('When a non-admin opens it, then it is a 403 page', async () => {
    const res = await (await signIn(app, w.technician.email)).get('/admin');
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('Create a user');
  });

  it('When the admin opens it, then users and sites with their forms are shown', async () => {
    const res = await (await signIn(app, w.admin.email)).get('/admin');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Create a user');
    expect(res.body).toContain('Main Site');
  });

  it('When the admin creates a user with a short password, then 422 beside Password; a valid one is created', async () => {
    const b = await signIn(app, w.admin.email);
    const bad = await b.post('/admin/users', { email: 'new@example.com', name: 'New', password: 'short' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="user-password-error"');
    expect(bad.body).toContain('value="new@example.com"');
    expect((await b.post('/admin/users', { email: 'new@example.com', name: 'New', password: 'long enough pw', isAdmin: 'true' })).statusCode).toBe(303);
    const taken = await b.post('/admin/users', { email: 'new@example.com', name: 'Again', password: 'long enough pw' });
    expect(taken.statusCode).toBe(422);
    expect(taken.body).toContain('id="user-email-error"');
  });

  it('When the admin deactivates a user, then that user is signed out', async () => {
    const viewer = await signIn(app, w.viewer.email);
    const b = await signIn(app, w.admin.email);
    expect((await b.post(`/admin/users/${w.viewer.id}/active`, { active: 'false' })).statusCode).toBe(303);
    expect((await viewer.get('/sites')).statusCode).toBe(303);
  });

  it('When the admin creates a site, adds a member, changes the role and deletes the site, then each step sticks', async () => {
    const b = await signIn(app, w.admin.email);
    const bad = await b.post('/admin/sites', { name: 'Hamburg', timezone: 'Mars/Olympus', description: '', latitude: '', longitude: '' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="new-site-timezone-error"');
    const created = await b.post('/admin/sites', { name: 'Hamburg', timezone: 'Europe/Berlin', description: '', latitude: '53.5', longitude: '10' });
    expect(created.statusCode).toBe(303);
    const siteId = created.headers.location!.split('/').pop()!;
    expect((await b.post(`/admin/sites/${siteId}/members`, { userId: w.viewer.id, role: 'viewer' })).statusCode).toBe(303);
    expect((await b.post(`/admin/sites/${siteId}/members/${w.viewer.id}`, { role: 'technician' })).statusCode).toBe(303);
    expect((await b.get(`/admin/sites/${siteId}`)).body).toMatch(/value="technician" selected/);
    expect((await b.get(`/admin/sites/${siteId}/delete`)).body).toContain('Yes, delete this site');
    expect((await b.post(`/admin/sites/${siteId}/delete`, {})).statusCode).toBe(303);
    expect(await app.repos.sites.findById(siteId)).toBeNull();
  });
});
