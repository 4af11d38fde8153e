import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs, type TestUser } from '../../helpers/app.js';
import { expectProblem, type World } from './support.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

interface Entry {
  id: string;
  at: string;
  actorId: string | null;
  siteId: string | null;
  entityType: string;
  entityId: string;
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const act = async (user: TestUser, method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
  const res = await injectAs(app, user, { method, url, ...(payload ? { payload } : {}) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.statusCode === 204 ? null : res.json();
};

async function auditOf(siteId: string, entityId?: string): Promise<Entry[]> {
  const res = await injectAs(app, w.admin, {
    method: 'GET',
    url: `/api/sites/${siteId}/audit?limit=200${entityId ? `&entityId=${entityId}` : ''}`,
  });
  expect(res.statusCode).toBe(200);
  return res.json().items;
}

describe('GET /api/sites/:siteId/audit', () => {
  it('When a site is created and changed through the API, then each change is recorded with actor, before and after', async () => {
    const site = await act(w.admin, 'POST', '/api/sites', { name: 'Audited', timezone: 'Europe/Paris' });
    await act(w.admin, 'PATCH', `/api/sites/${site.id}`, { name: 'Audited 2' });
    const entries = await auditOf(site.id, site.id);
    expect(entries.map((e) => e.action)).toEqual(['update', 'create']);
    expect(entries[1]).toMatchObject({
      actorId: w.admin.id,
      entityType: 'site',
      before: null,
      after: { name: 'Audited', timezone: 'Europe/Paris' },
    });
    expect(entries[0]).toMatchObject({
      actorId: w.admin.id,
      before: { name: 'Audited' },
      after: { name: 'Audited 2' },
    });
    expect(Date.parse(entries[0].at)).not.toBeNaN();
  });

  it('When a technician creates, changes and deletes a device, then three entries name the technician', async () => {
    const device = await act(w.technician, 'POST', `/api/sites/${w.site.id}/devices`, {
      name: 'Inverter',
      type: 'inverter',
    });
    await act(w.technician, 'PATCH', `/api/devices/${device.id}`, { model: 'X1' });
    await act(w.technician, 'DELETE', `/api/devices/${device.id}`);
    const entries = await auditOf(w.site.id, device.id);
    expect(entries.map((e) => [e.entityType, e.action, e.actorId])).toEqual([
      ['device', 'delete', w.technician.id],
      ['device', 'update', w.technician.id],
      ['device', 'create', w.technician.id],
    ]);
    expect(entries[2].after).toMatchObject({ name: 'Inverter', metrics: [{ key: 'power' }, { key: 'energy' }] });
    expect(entries[1]).toMatchObject({ before: { model: null, version: 1 }, after: { model: 'X1', version: 2 } });
    expect(entries[0]).toMatchObject({ before: { name: 'Inverter', model: 'X1' }, after: null });
  });

  it('When a metric is created, changed and deleted, then each is recorded with before and after', async () => {
    const metric = await act(w.technician, 'POST', `/api/devices/${w.device.id}/metrics`, {
      key: 'voltage',
      name: 'Voltage',
      unit: 'V',
    });
    await act(w.technician, 'PATCH', `/api/metrics/${metric.id}`, { unit: 'kV' });
    await act(w.admin, 'DELETE', `/api/metrics/${metric.id}`);
    const entries = await auditOf(w.site.id, metric.id);
    expect(entries.map((e) => [e.entityType, e.action, e.actorId])).toEqual([
      ['metric', 'delete', w.admin.id],
      ['metric', 'update', w.technician.id],
      ['metric', 'create', w.technician.id],
    ]);
    expect(entries[1]).toMatchObject({ before: { unit: 'V' }, after: { unit: 'kV' } });
    expect(entries[0]).toMatchObject({ before: { key: 'voltage', unit: 'kV' }, after: null });
  });

  it('When an admin adds, changes and removes a member, then the membership entries record the roles', async () => {
    await act(w.admin, 'PUT', `/api/sites/${w.site.id}/members/${w.outsider.id}`, { role: 'viewer' });
    await act(w.admin, 'PUT', `/api/sites/${w.site.id}/members/${w.outsider.id}`, { role: 'technician' });
    await act(w.admin, 'DELETE', `/api/sites/${w.site.id}/members/${w.outsider.id}`);
    const entries = await auditOf(w.site.id, `${w.site.id}:${w.outsider.id}`);
    expect(
      entries.map((e) => [e.entityType, e.action, e.actorId, e.before?.role ?? null, e.after?.role ?? null]),
    ).toEqual([
      ['membership', 'delete', w.admin.id, 'technician', null],
      ['membership', 'update', w.admin.id, 'viewer', 'technician'],
      ['membership', 'create', w.admin.id, null, 'viewer'],
    ]);
  });

  it("When a technician reads the site's audit trail, then it holds no membership entries (the members API refuses them); an admin's holds them", async () => {
    await act(w.admin, 'PUT', `/api/sites/${w.site.id}/members/${w.outsider.id}`, { role: 'viewer' });
    await act(w.technician, 'PATCH', `/api/devices/${w.device.id}`, { model: 'X1' });
    const read = (query = '') =>
      injectAs(app, w.technician, { method: 'GET', url: `/api/sites/${w.site.id}/audit?limit=200${query}` });
    const all = await read();
    expect(all.statusCode).toBe(200);
    const types = new Set(all.json().items.map((e: Entry) => e.entityType));
    expect(types.has('device')).toBe(true);
    expect(types.has('membership')).toBe(false);
    expect(all.body).not.toContain(w.outsider.id);
    expect(all.body).not.toContain(w.viewer.id);
    // Asking for a membership by its entity id does not get around it.
    const one = await read(`&entityId=${w.site.id}:${w.outsider.id}`);
    expect(one.json().items).toEqual([]);
    // The same rule as the members themselves: 403 for the technician, the list for an admin.
    expectProblem(
      await injectAs(app, w.technician, { method: 'GET', url: `/api/sites/${w.site.id}/members` }),
      403,
      'FORBIDDEN',
    );
    expect((await auditOf(w.site.id)).filter((e) => e.entityType === 'membership').length).toBeGreaterThan(0);
  });

  it('When a technician pages through an audit trail with membership entries among the newest, then pages stay full and end with nextCursor null', async () => {
    for (const role of ['viewer', 'technician', 'viewer'] as const)
      await act(w.admin, 'PUT', `/api/sites/${w.site.id}/members/${w.outsider.id}`, { role });
    const seen: Entry[] = [];
    let cursor: string | null = null;
    do {
      const res = await injectAs(app, w.technician, {
        method: 'GET',
        url: `/api/sites/${w.site.id}/audit?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      });
      const page = res.json() as { items: Entry[]; nextCursor: string | null };
      expect(page.items.length).toBe(1);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((e) => e.entityType)).not.toContain('membership');
    expect(seen.length).toBe((await auditOf(w.site.id)).filter((e) => e.entityType !== 'membership').length);
  });

  it('When a site is deleted, then the deletion is recorded with what the site was', async () => {
    await act(w.admin, 'DELETE', `/api/sites/${w.otherSite.id}`);
    const [entry] = await app.repos.audit.list({ entityId: w.otherSite.id }, 1);
    expect(entry).toMatchObject({
      actorId: w.admin.id,
      entityType: 'site',
      action: 'delete',
      before: { name: 'Other Site' },
      after: null,
    });
  });

  it('When a refused or invalid change is attempted, then no audit entry is written', async () => {
    const before = await auditOf(w.site.id);
    await injectAs(app, w.viewer, { method: 'PATCH', url: `/api/devices/${w.device.id}`, payload: { model: 'X' } });
    await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/devices/${w.device.id}`,
      payload: { model: 'X' },
      headers: { 'if-match': '"v9"' },
    });
    await injectAs(app, w.technician, { method: 'DELETE', url: `/api/metrics/${w.metrics[0].id}/nothing` });
    expect(await auditOf(w.site.id)).toEqual(before);
  });

  it('When a viewer asks for the audit, then it gets 403; a non-member gets the 404 of a missing site', async () => {
    expectProblem(
      await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}/audit` }),
      403,
      'FORBIDDEN',
    );
    const hidden = await injectAs(app, w.outsider, { method: 'GET', url: `/api/sites/${w.site.id}/audit` });
    const missing = await injectAs(app, w.outsider, { method: 'GET', url: '/api/sites/site_nope/audit' });
    expectProblem(hidden, 404, 'SITE_NOT_FOUND');
    expect(hidden.body).toBe(missing.body);
  });

  it('When the audit is read page by page, then every entry comes once, newest first, and the last page has nextCursor null', async () => {
    for (let i = 0; i < 7; i++) await act(w.technician, 'PATCH', `/api/devices/${w.device.id}`, { model: `M${i}` });
    // What the technician may read: all but the membership entries (the admin's list has those too).
    const all = (await auditOf(w.site.id)).filter((e) => e.entityType !== 'membership');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await injectAs(app, w.technician, {
        method: 'GET',
        url: `/api/sites/${w.site.id}/audit?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((e: Entry) => e.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
    expect(all.length).toBeGreaterThan(8);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
