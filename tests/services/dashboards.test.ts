// The page-only reads and checks: each service method decides who may see or do what itself.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Actor } from '../../src/services/policy.js';
import { addMember, buildTestApp, createDevice, createSite, createUser, createWorld } from '../helpers/app.js';
import { countStatements } from '../helpers/statements.js';
import { sqlOf } from '../helpers/sql.js';

type World = Awaited<ReturnType<typeof createWorld>>;

let app: App;
let w: World;
let as: Record<'admin' | 'technician' | 'viewer' | 'outsider', Actor>;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  const load = async (id: string) => (await app.services.auth.loadActor(id))!;
  as = {
    admin: await load(w.admin.id),
    technician: await load(w.technician.id),
    viewer: await load(w.viewer.id),
    outsider: await load(w.outsider.id),
  };
});
afterEach(() => app.close());

/** The status and code a refused call throws. */
async function refusal(promise: Promise<unknown>) {
  const err = await promise.then(
    () => null,
    (e: { statusCode?: number; code?: string; errors?: unknown }) => e,
  );
  expect(err, 'expected a refusal').not.toBeNull();
  return { status: err!.statusCode, code: err!.code, errors: err!.errors };
}

describe('dashboards.sites', () => {
  it('When a viewer and an admin list sites, then each gets the sites they see, with every site’s summary', async () => {
    await sqlOf(app).run(
      "UPDATE metrics SET latest_ts = ?, latest_value = 3 WHERE device_id = ? AND key = 'power'",
      Date.now(),
      w.device.id,
    );
    const viewer = await app.services.dashboards.sites(as.viewer, { limit: 50 });
    expect(viewer.items.map((s) => s.name)).toEqual(['Main Site']);
    // The battery's power is neither generation nor metered; its other metric has no value yet.
    expect(viewer.items[0].summary).toEqual({ generationKw: null, meteredKw: null, stale: 0, noData: 1, total: 2 });
    const admin = await app.services.dashboards.sites(as.admin, { limit: 50 });
    expect(admin.items.map((s) => [s.name, s.summary.total])).toEqual([
      ['Main Site', 2],
      ['Other Site', 0],
    ]);
  });
});

describe('dashboards.site', () => {
  it('When each role opens the site, then technicians and admins may edit, viewers may not, others get the 404 of a missing site', async () => {
    expect((await app.services.dashboards.site(as.technician, w.site.id, 10)).canEdit).toBe(true);
    expect((await app.services.dashboards.site(as.admin, w.site.id, 10)).canEdit).toBe(true);
    const viewer = await app.services.dashboards.site(as.viewer, w.site.id, 10);
    expect(viewer.canEdit).toBe(false);
    expect(viewer.devices.map((d) => [d.name, d.metrics.length])).toEqual([['Main Battery', 2]]);
    expect(await refusal(app.services.dashboards.site(as.outsider, w.site.id, 10))).toMatchObject({
      status: 404,
      code: 'SW_SITE_NOT_FOUND',
    });
  });
});

describe('dashboards.device', () => {
  it('When a technician opens a device, then its history names who changed what; a viewer gets no history; others 404', async () => {
    await app.services.devices.update(as.technician, w.device.id, { name: 'Big Battery' });
    const page = await app.services.dashboards.device(as.technician, w.device.id);
    expect(page.canEdit).toBe(true);
    expect(page.history!.map((h) => [h.action, h.who, h.changes])).toEqual([
      ['update', as.technician.name, ['name: Main Battery → Big Battery']],
      ['create', 'the system', []],
    ]);
    const viewer = await app.services.dashboards.device(as.viewer, w.device.id);
    expect([viewer.canEdit, viewer.history, viewer.device.name]).toEqual([false, null, 'Big Battery']);
    expect(await refusal(app.services.dashboards.device(as.outsider, w.device.id))).toMatchObject({
      status: 404,
      code: 'SW_DEVICE_NOT_FOUND',
    });
  });

  it('When one person or five changed the device, then the history costs the same statements, and a deleted person reads as a removed user', async () => {
    const rename = async (actor: Actor, name: string) => app.services.devices.update(actor, w.device.id, { name });
    const cost = () => countStatements(app, () => app.services.dashboards.device(as.admin, w.device.id));
    await rename(as.technician, 'One');
    const one = await cost();
    for (let i = 0; i < 4; i++) {
      const user = await createUser(app, { isAdmin: true, name: `Changer ${i}` });
      await rename((await app.services.auth.loadActor(user.id))!, `Name ${i}`);
    }
    expect(await cost()).toBe(one);
    await app.repos.users.delete(w.technician.id, null);
    const { history } = await app.services.dashboards.device(as.admin, w.device.id);
    expect(history!.map((h) => h.who)).toEqual([
      'Changer 3',
      'Changer 2',
      'Changer 1',
      'Changer 0',
      'a removed user',
      'the system',
    ]);
  });
});

describe('dashboards.admin', () => {
  it('When a non-admin asks for the admin overview, then 403; an admin gets users and sites', async () => {
    expect(await refusal(app.services.dashboards.admin(as.technician, {}, 50))).toMatchObject({ status: 403 });
    const { users, sites } = await app.services.dashboards.admin(as.admin, {}, 50);
    expect([users.items.length, sites.items.length]).toEqual([4, 2]);
  });
});

describe('metrics.catalogue', () => {
  it('When a viewer and an admin open the picker, then each gets the metrics of the sites they see, by site and device, labelled', async () => {
    await createDevice(app, w.otherSite.id, { name: 'Other Meter', type: 'meter' });
    const viewer = await app.services.metrics.catalogue(as.viewer);
    expect(viewer.map((s) => s.name)).toEqual(['Main Site']);
    expect(viewer[0].devices.map((d) => d.name)).toEqual(['Main Battery']);
    expect(viewer[0].devices[0].metrics.map((m) => m.label)).toEqual(
      w.metrics.map((m) => `Main Site / Main Battery / ${m.name}${m.unit ? ` (${m.unit})` : ''}`),
    );
    const admin = await app.services.metrics.catalogue(as.admin);
    expect(admin.map((s) => [s.name, s.devices.map((d) => d.name)])).toEqual([
      ['Main Site', ['Main Battery']],
      ['Other Site', ['Other Meter']],
    ]);
  });

  it('When the user sees 1 site or 11, then the picker costs the same statements', async () => {
    const cost = () => countStatements(app, () => app.services.metrics.catalogue(as.viewer));
    const one = await cost();
    for (let i = 0; i < 10; i++) {
      const site = await createSite(app);
      await addMember(app, site.id, w.viewer.id, 'viewer');
      await createDevice(app, site.id);
    }
    as.viewer = (await app.services.auth.loadActor(w.viewer.id))!;
    expect((await app.services.metrics.catalogue(as.viewer)).length).toBe(11);
    expect(await cost()).toBe(one);
  });
});

describe('sites.addMember', () => {
  it('When an admin adds a person by email in any case, then they become a member; a member of the site gets 403, anyone else 404', async () => {
    const person = await createUser(app, { email: 'new.person@example.com' });
    const input = { email: 'New.Person@Example.com', role: 'viewer' as const };
    expect(await refusal(app.services.sites.addMember(as.technician, w.site.id, input))).toMatchObject({
      status: 403,
    });
    expect(await refusal(app.services.sites.addMember(as.outsider, w.site.id, input))).toMatchObject({
      status: 404,
      code: 'SW_SITE_NOT_FOUND',
    });
    const member = await app.services.sites.addMember(as.admin, w.site.id, input);
    expect([member.userId, member.role]).toEqual([person.id, 'viewer']);
  });

  it('When the person is already a member, unknown, gone or not named, then a field says so and nothing changes', async () => {
    const add = (input: { userId?: string; email?: string }) =>
      refusal(app.services.sites.addMember(as.admin, w.site.id, { ...input, role: 'viewer' }));
    expect((await add({ userId: w.technician.id })).errors).toEqual([
      { path: '/userId', message: 'is already a member: change their role in the list.' },
    ]);
    expect((await add({ email: 'nobody@example.com' })).errors).toEqual([
      { path: '/email', message: 'matches no one: check the address.' },
    ]);
    expect((await add({ email: '  ' })).errors).toEqual([{ path: '/email', message: 'is required' }]);
    expect((await add({})).errors).toEqual([{ path: '/userId', message: 'is required' }]);
    expect(await add({ userId: 'usr_nobodyAtAll0000000000' })).toMatchObject({
      status: 404,
      code: 'SW_USER_NOT_FOUND',
    });
    const roles = (await app.repos.sites.members(w.site.id)).map((m) => `${m.userId}:${m.role}`).sort();
    expect(roles).toEqual([`${w.technician.id}:technician`, `${w.viewer.id}:viewer`].sort());
  });
});

describe('sites.member', () => {
  it('When an admin asks for a current member, then it is returned; for someone else MEMBER_NOT_FOUND; non-admins 403 / 404', async () => {
    expect((await app.services.sites.member(as.admin, w.site.id, w.viewer.id)).role).toBe('viewer');
    expect(await refusal(app.services.sites.member(as.admin, w.site.id, w.outsider.id))).toMatchObject({
      status: 404,
      code: 'SW_MEMBER_NOT_FOUND',
    });
    expect(await refusal(app.services.sites.member(as.viewer, w.site.id, w.viewer.id))).toMatchObject({ status: 403 });
    expect(await refusal(app.services.sites.member(as.outsider, w.site.id, w.viewer.id))).toMatchObject({
      status: 404,
      code: 'SW_SITE_NOT_FOUND',
    });
  });
});

describe('Checks for the pages that change a site or a device', () => {
  it('When each role asks to delete the site, then only admins may; members get 403, others 404', async () => {
    expect((await app.services.sites.deletable(as.admin, w.site.id)).name).toBe('Main Site');
    expect(await refusal(app.services.sites.deletable(as.technician, w.site.id))).toMatchObject({ status: 403 });
    expect(await refusal(app.services.sites.deletable(as.outsider, w.site.id))).toMatchObject({ status: 404 });
  });

  it('When each role asks to add devices or change one, then technicians and admins may; viewers get 403, others 404', async () => {
    for (const actor of [as.admin, as.technician]) {
      expect((await app.services.sites.manageable(actor, w.site.id)).id).toBe(w.site.id);
      expect((await app.services.devices.editable(actor, w.device.id, 'change')).id).toBe(w.device.id);
    }
    expect(await refusal(app.services.sites.manageable(as.viewer, w.site.id))).toMatchObject({ status: 403 });
    expect(await refusal(app.services.devices.editable(as.viewer, w.device.id, 'delete'))).toMatchObject({
      status: 403,
    });
    expect(await refusal(app.services.sites.manageable(as.outsider, w.site.id))).toMatchObject({
      status: 404,
      code: 'SW_SITE_NOT_FOUND',
    });
    expect(await refusal(app.services.devices.editable(as.outsider, w.device.id, 'change'))).toMatchObject({
      status: 404,
      code: 'SW_DEVICE_NOT_FOUND',
    });
  });
});
