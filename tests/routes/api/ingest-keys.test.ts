import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createDevice, createWorld, injectAs, type TestUser } from '../../helpers/app.js';
import { sqlRows, sqlRun } from '../../helpers/sql.js';
import { expectInvalid, expectProblem, lastAudit, type World } from './support.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const create = (user: TestUser, siteId: string, payload: Record<string, unknown>) =>
  injectAs(app, user, { method: 'POST', url: `/api/sites/${siteId}/ingest-keys`, payload });
const list = (user: TestUser, siteId = w.site.id) =>
  injectAs(app, user, { method: 'GET', url: `/api/sites/${siteId}/ingest-keys` });
const revoke = (user: TestUser, keyId: string) =>
  injectAs(app, user, { method: 'DELETE', url: `/api/ingest-keys/${keyId}` });
const withKey = (key: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
const telemetry = (key: string, deviceId = w.device.id) =>
  withKey(key, 'POST', `/api/devices/${deviceId}/telemetry`, { soc: 51 });

async function newKey(user = w.technician, payload: Record<string, unknown> = { name: 'Gateway' }) {
  const res = await create(user, w.site.id, payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; key: string; scope: string; prefix: string };
}

describe('POST /api/sites/:siteId/ingest-keys', () => {
  it('When a technician creates a site key, then it gets 201 with the secret once, no-store, a swi_ prefix and an audit row', async () => {
    const res = await create(w.technician, w.site.id, { name: 'Gateway' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ name: 'Gateway', scope: 'site', siteId: w.site.id, deviceId: null, revokedAt: null });
    expect(body.createdBy).toEqual({ id: w.technician.id, name: expect.any(String) });
    expect(body.key).toMatch(/^swi_[A-Za-z0-9_-]{40,}$/);
    expect(body.key.startsWith(body.prefix)).toBe(true);
    const stored = await sqlRows<{ key_hash: string }>(app, 'SELECT key_hash FROM ingest_keys');
    expect(JSON.stringify(stored)).not.toContain(body.key);
    const audit = (await lastAudit(app))!;
    expect(audit).toMatchObject({
      actor_id: w.technician.id,
      site_id: w.site.id,
      entity_type: 'ingest_key',
      action: 'create',
    });
    expect(`${audit.before}${audit.after}`).not.toContain(body.key.slice(4));
  });

  it('When an admin creates a key for one device, then its scope is the device', async () => {
    const res = await create(w.admin, w.site.id, { name: 'Battery', deviceId: w.device.id });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ scope: 'device', deviceId: w.device.id, deviceName: 'Main Battery' });
  });

  it('When the device named belongs to another site, then 422 names deviceId and nothing is stored', async () => {
    const { device } = await createDevice(app, w.otherSite.id);
    expectInvalid(await create(w.admin, w.site.id, { name: 'Elsewhere', deviceId: device.id }), '/deviceId');
    expect((await list(w.admin)).json().items).toEqual([]);
  });

  it('When a viewer tries, then 403; an outsider 404 like a missing site', async () => {
    expectProblem(await create(w.viewer, w.site.id, { name: 'x' }), 403, 'FORBIDDEN');
    expectProblem(await create(w.outsider, w.site.id, { name: 'x' }), 404, 'SITE_NOT_FOUND');
    expectProblem(await create(w.admin, 'site_missing', { name: 'x' }), 404, 'SITE_NOT_FOUND');
  });
});

describe('GET /api/sites/:siteId/ingest-keys', () => {
  it('When keys exist, then technicians see name, scope, creator, times and revocation, never the secret; viewers 403', async () => {
    const key = await newKey();
    await telemetry(key.key);
    const res = await list(w.technician);
    expect(res.statusCode).toBe(200);
    const [item] = res.json().items;
    expect(item).toMatchObject({ id: key.id, name: 'Gateway', scope: 'site', revokedAt: null });
    expect(item.lastUsedAt).toEqual(expect.any(String));
    expect(res.body).not.toContain(key.key);
    expectProblem(await list(w.viewer), 403, 'FORBIDDEN');
    expectProblem(await list(w.outsider), 404, 'SITE_NOT_FOUND');
  });
});

describe('an ingest key as a credential', () => {
  it('When a key calls any read or admin route, then it gets 401 and its telemetry route accepts it', async () => {
    const { key } = await newKey();
    for (const url of ['/api/me', '/api/sites', `/api/sites/${w.site.id}`, `/api/devices/${w.device.id}`, '/api/users'])
      expectProblem(await withKey(key, 'GET', url), 401, 'UNAUTHENTICATED');
    expectProblem(
      await withKey(key, 'POST', `/api/sites/${w.site.id}/ingest-keys`, { name: 'x' }),
      401,
      'UNAUTHENTICATED',
    );
    expect((await telemetry(key)).statusCode).toBe(200);
  });

  it('When a key is used twice within a minute, then last used is written once', async () => {
    const { id, key } = await newKey();
    await telemetry(key);
    const first = (await list(w.technician)).json().items[0].lastUsedAt;
    await telemetry(key);
    expect((await list(w.technician)).json().items.find((k: { id: string }) => k.id === id).lastUsedAt).toBe(first);
  });
});

describe('DELETE /api/ingest-keys/:keyId', () => {
  it('When a technician revokes a key, then its next message is 401, it is listed as revoked and audited', async () => {
    const { id, key } = await newKey();
    expect((await telemetry(key)).statusCode).toBe(200); // cached now
    expect((await revoke(w.technician, id)).statusCode).toBe(204);
    expectProblem(await telemetry(key), 401, 'UNAUTHENTICATED');
    expect((await list(w.technician)).json().items[0].revokedAt).toEqual(expect.any(String));
    expect(await lastAudit(app)).toMatchObject({
      actor_id: w.technician.id,
      entity_type: 'ingest_key',
      entity_id: id,
      action: 'update',
    });
    expect((await revoke(w.technician, id)).statusCode).toBe(204);
  });

  it('When the key is revoked by SQL typed by hand, then it stops at its next message too', async () => {
    const { id, key } = await newKey();
    expect((await telemetry(key)).statusCode).toBe(200);
    await sqlRun(app, 'UPDATE ingest_keys SET revoked_at = 1 WHERE id = ?', [id]);
    expectProblem(await telemetry(key), 401, 'UNAUTHENTICATED');
  });

  it("When the key's site is deleted, then its next message is 401", async () => {
    const { key } = await newKey();
    expect((await telemetry(key)).statusCode).toBe(200);
    expect((await injectAs(app, w.admin, { method: 'DELETE', url: `/api/sites/${w.site.id}` })).statusCode).toBe(204);
    expectProblem(await telemetry(key), 401, 'UNAUTHENTICATED');
  });

  it('When a viewer tries, then 403; an outsider or a missing key 404', async () => {
    const { id, key } = await newKey();
    expectProblem(await revoke(w.viewer, id), 403, 'FORBIDDEN');
    expectProblem(await revoke(w.outsider, id), 404, 'INGEST_KEY_NOT_FOUND');
    expectProblem(await revoke(w.admin, 'ikey_missing'), 404, 'INGEST_KEY_NOT_FOUND');
    expect((await telemetry(key)).statusCode).toBe(200);
  });
});
