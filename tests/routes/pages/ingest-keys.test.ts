import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createDevice, createWorld } from '../../helpers/app.js';
import { HX, signIn } from '../../helpers/pages.js';
import { sqlOf } from '../../helpers/sql.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const keysOf = (siteId: string) =>
  sqlOf(app).all<{ id: string; name: string; device_id: string | null; revoked_at: number | null }>(
    'SELECT id, name, device_id, revoked_at FROM ingest_keys WHERE site_id = ?',
    siteId,
  );

describe('/sites/:siteId/ingest-keys', () => {
  it('When a technician creates a key for any device, then it is shown once (no-store) with a copy button, listed, and can be revoked', async () => {
    const b = await signIn(app, w.technician.email);
    const site = await b.get(`/sites/${w.site.id}`);
    expect(site.body).toContain(`href="/sites/${w.site.id}/ingest-keys"`);
    const created = await b.post(`/sites/${w.site.id}/ingest-keys`, { name: 'roof gateway', deviceId: '' });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.body).toMatch(/value="swi_[A-Za-z0-9_-]+"/);
    expect(created.body).toContain('Copy key');
    expect(created.body).toContain('any device of this site');
    const [key] = await keysOf(w.site.id);
    expect(key).toMatchObject({ name: 'roof gateway', device_id: null });

    const page = await b.get(`/sites/${w.site.id}/ingest-keys`);
    expect(page.statusCode).toBe(200);
    expect(page.headers.vary).toMatch(/HX-Request/);
    expect(page.body).toContain('Revoke key roof gateway');
    expect(page.body).not.toMatch(/value="swi_/);

    const revoked = await b.post(`/sites/${w.site.id}/ingest-keys/${key.id}/revoke`, {}, { headers: HX });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.body).not.toContain('Revoke key roof gateway');
    expect(revoked.body).toMatch(/Revoked /);
    expect((await keysOf(w.site.id))[0].revoked_at).not.toBeNull();
  });

  it('When a key is made for one device, then the list says which device it sends for', async () => {
    const b = await signIn(app, w.admin.email);
    const res = await b.post(`/sites/${w.site.id}/ingest-keys`, { name: 'battery', deviceId: w.device.id });
    expect(res.statusCode).toBe(201);
    expect(res.body).toContain('the device Main Battery');
    expect((await keysOf(w.site.id))[0].device_id).toBe(w.device.id);
  });

  it("When the name is empty or the device is another site's, then 422 with the message beside the field and nothing stored", async () => {
    const b = await signIn(app, w.technician.email);
    const empty = await b.post(`/sites/${w.site.id}/ingest-keys`, { name: '', deviceId: '' });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('id="key-name-error"');
    const { device } = await createDevice(app, w.otherSite.id);
    const elsewhere = await b.post(`/sites/${w.site.id}/ingest-keys`, { name: 'x', deviceId: device.id });
    expect(elsewhere.statusCode).toBe(422);
    expect(elsewhere.body).toContain('id="key-device-error"');
    expect(await keysOf(w.site.id)).toEqual([]);
  });

  it('When a viewer opens it, then 403 and the site page offers no link; an outsider 404', async () => {
    const viewer = await signIn(app, w.viewer.email);
    expect((await viewer.get(`/sites/${w.site.id}/ingest-keys`)).statusCode).toBe(403);
    expect((await viewer.get(`/sites/${w.site.id}`)).body).not.toContain('/ingest-keys');
    expect((await (await signIn(app, w.outsider.email)).get(`/sites/${w.site.id}/ingest-keys`)).statusCode).toBe(404);
  });

  it("When a key is revoked through another site's URL, then 404 and the key still works", async () => {
    const created = await app.services.ingestKeys.create((await app.services.auth.loadActor(w.admin.id))!, w.site.id, {
      name: 'k',
    });
    const b = await signIn(app, w.admin.email);
    expect((await b.post(`/sites/${w.otherSite.id}/ingest-keys/${created.id}/revoke`, {})).statusCode).toBe(404);
    expect((await keysOf(w.site.id))[0].revoked_at).toBeNull();
  });
});
