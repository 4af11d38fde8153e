// The hot-path caches must never outlive the truth: actors and tokens are cached
// while the access version (moved by database triggers) is unchanged, so even a change typed by
// hand in SQL, past every service, is seen by the very next request. Session cookies are
// verified once and remembered; a forged or tampered one is never taken.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { RememberingSigner, SESSION_COOKIE } from '../../src/plugins/external/session.js';
import { buildTestApp, createDevice, createWorld, injectAs, loginCookie, onPostgres } from '../helpers/app.js';
import { sqlOf } from '../helpers/sql.js';

let app: App;
let world: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  world = await createWorld(app);
});
afterEach(() => app.close());

const sql = (text: string, ...params: unknown[]) => sqlOf(app).run(text, ...params);
const siteOf = (user: Parameters<typeof injectAs>[1]) => injectAs(app, user, { url: `/api/sites/${world.site.id}` });

describe('actor and token caches', () => {
  it('When a membership is deleted by hand in SQL, then the next bearer request of that viewer gets 404 for the site', async () => {
    expect((await siteOf(world.viewer)).statusCode).toBe(200);
    await sql('DELETE FROM site_members WHERE user_id = ?', world.viewer.id);
    expect((await siteOf(world.viewer)).statusCode).toBe(404);
  });

  it('When a viewer is made technician by hand in SQL, then the next request may create a device', async () => {
    const create = () =>
      injectAs(app, world.viewer, {
        method: 'POST',
        url: `/api/sites/${world.site.id}/devices`,
        payload: { name: 'New meter', type: 'meter' },
      });
    expect((await create()).statusCode).toBe(403);
    await sql("UPDATE site_members SET role = 'technician' WHERE user_id = ?", world.viewer.id);
    expect((await create()).statusCode).toBe(201);
  });

  it('When a user is deactivated by hand in SQL, then their session cookie and token stop working at once', async () => {
    const cookie = await loginCookie(app, world.technician.email);
    expect((await app.inject({ url: '/api/me', headers: { cookie } })).statusCode).toBe(200);
    expect((await siteOf(world.technician)).statusCode).toBe(200);
    await sql('UPDATE users SET active = false WHERE id = ?', world.technician.id);
    expect((await app.inject({ url: '/api/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await siteOf(world.technician)).statusCode).toBe(401);
  });

  it('When a token is deleted or expired by hand in SQL, then it gets 401 on the next request', async () => {
    expect((await siteOf(world.viewer)).statusCode).toBe(200);
    await sql('UPDATE api_tokens SET expires_at = ? WHERE user_id = ?', Date.now() - 1000, world.viewer.id);
    expect((await siteOf(world.viewer)).statusCode).toBe(401);
    expect((await siteOf(world.technician)).statusCode).toBe(200);
    await sql('DELETE FROM api_tokens WHERE user_id = ?', world.technician.id);
    expect((await siteOf(world.technician)).statusCode).toBe(401);
  });

  it('When a membership is removed while another request is still reading the actor, then the actor read before the change is not kept', async () => {
    const users = app.repos.users;
    const real = users.memberships;
    // Request A reads the viewer's memberships; before it files the actor, the membership goes and
    // request B (another user) moves the caches to the new access version.
    users.memberships = async (userId: string) => {
      const rows = await real(userId);
      if (userId === world.viewer.id) {
        await sql('DELETE FROM site_members WHERE user_id = ?', world.viewer.id);
        await app.services.auth.loadActor(world.technician.id);
      }
      return rows;
    };
    try {
      expect((await app.services.auth.loadActor(world.viewer.id))?.roles.has(world.site.id)).toBe(true); // A: read before the change
    } finally {
      users.memberships = real;
    }
    expect((await siteOf(world.viewer)).statusCode).toBe(404);
  });

  it('When a site is deleted by hand in SQL, then the access version moves (its memberships go with it)', async () => {
    const version = async () => (await app.repos.users.accessVersion()) ?? Number.NaN;
    const before = await version();
    await sql('DELETE FROM sites WHERE id = ?', world.otherSite.id);
    expect(await version()).toBeGreaterThan(before);
    const again = await version();
    await sql('UPDATE api_tokens SET last_used_at = 1 WHERE user_id = ?', world.viewer.id);
    expect(await version()).toBe(again); // a token's use is not an access change
  });

  it('When the access version row is deleted by hand, then nothing is cached: a membership deleted after it still ends access at once', async () => {
    await sql('DELETE FROM access_version');
    expect((await siteOf(world.viewer)).statusCode).toBe(200); // would file the actor under a version that never moves again
    await sql('DELETE FROM site_members WHERE user_id = ?', world.viewer.id);
    expect((await siteOf(world.viewer)).statusCode).toBe(404);
    await sql('DELETE FROM api_tokens WHERE user_id = ?', world.technician.id);
    expect((await siteOf(world.technician)).statusCode).toBe(401);
  });

  it('When a token is used, then its last use is still recorded (at most once a minute)', async () => {
    await siteOf(world.viewer);
    const row = (await sqlOf(app).get<{ t: number | null }>(
      'SELECT last_used_at AS t FROM api_tokens WHERE user_id = ?',
      world.viewer.id,
    ))!;
    expect(row.t).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("a site's devices and metrics (cached while the catalogue version is unchanged)", () => {
  const poll = async () => {
    const res = await injectAs(app, world.viewer, { url: `/api/sites/${world.site.id}/latest` });
    expect(res.statusCode).toBe(200);
    return res.json().items as { id: string; name: string; deviceName: string; latest: { value: number } | null }[];
  };
  const catalogueVersion = () => sqlOf(app).value<number>('SELECT version FROM catalog_version WHERE id = 1');
  const [soc, power] = [0, 1];

  it('When a metric and its device are renamed by hand in SQL, then the next poll shows both names, in the new order of devices', async () => {
    await createDevice(app, world.site.id, { name: 'Site meter', type: 'meter' });
    expect((await poll()).map((m) => `${m.deviceName}: ${m.name}`)).toEqual([
      'Main Battery: State of charge',
      'Main Battery: Power',
      'Site meter: Import energy',
      'Site meter: Export energy',
      'Site meter: Power',
    ]);
    await sql("UPDATE metrics SET name = 'Charge' WHERE id = ?", world.metrics[soc].id);
    await sql("UPDATE devices SET name = 'Tesla Megapack' WHERE id = ?", world.device.id);
    expect((await poll()).map((m) => `${m.deviceName}: ${m.name}`)).toEqual([
      'Site meter: Import energy',
      'Site meter: Export energy',
      'Site meter: Power',
      'Tesla Megapack: Charge',
      'Tesla Megapack: Power',
    ]);
  });

  it('When only an energy role changes by hand in SQL, then the next poll shows it (the role is part of the cached catalogue)', async () => {
    const roleOf = async () =>
      (await poll()).find((m) => m.id === world.metrics[power].id) as unknown as { energyRole: string };
    expect((await roleOf()).energyRole).toBe('battery_power');
    await sql("UPDATE metrics SET energy_role = 'grid_power' WHERE id = ?", world.metrics[power].id);
    expect((await roleOf()).energyRole).toBe('grid_power');
  });

  it('When a name changes by hand and the catalogue version is put back by hand, then polls still answer from the cache (so it is used)', async () => {
    await poll();
    await app.inject({
      url: `/api/sites/${world.site.id}/devices`,
      headers: { authorization: `Bearer ${world.viewer.token}` },
    });
    const version = await catalogueVersion();
    await sql("UPDATE metrics SET name = 'Charge' WHERE id = ?", world.metrics[soc].id);
    await sql("UPDATE devices SET model = 'BX-9' WHERE id = ?", world.device.id);
    await sql('UPDATE catalog_version SET version = ? WHERE id = 1', version);
    expect((await poll()).map((m) => m.name)).toEqual(['State of charge', 'Power']);
    expect((await app.repos.devices.list(world.site.id, 50))!.items[0].model).toBeNull();
  });

  it('When a metric disappears and the version is put back by hand (as if a trigger had missed it), then the poll reads the site again rather than fail', async () => {
    await poll();
    const version = await catalogueVersion();
    await sql('DELETE FROM metrics WHERE id = ?', world.metrics[soc].id);
    await sql('UPDATE catalog_version SET version = ? WHERE id = 1', version);
    expect((await poll()).map((m) => m.id)).toEqual([world.metrics[power].id]);
  });

  it('When the catalogue version row is gone, then every read goes to the tables', async () => {
    await poll();
    await app.repos.devices.list(world.site.id, 50);
    await sql('DELETE FROM catalog_version');
    await sql("UPDATE metrics SET name = 'Charge' WHERE id = ?", world.metrics[soc].id);
    await sql("UPDATE devices SET model = 'BX-9' WHERE id = ?", world.device.id);
    expect((await poll()).map((m) => m.name)).toEqual(['Charge', 'Power']);
    expect((await app.repos.devices.list(world.site.id, 50))!.items[0].model).toBe('BX-9');
    await sql("UPDATE metrics SET name = 'Charge 2' WHERE id = ?", world.metrics[soc].id);
    await sql("UPDATE devices SET model = 'BX-10' WHERE id = ?", world.device.id);
    expect((await poll()).map((m) => m.name)).toEqual(['Charge 2', 'Power']);
    expect((await app.repos.devices.list(world.site.id, 50))!.items[0].model).toBe('BX-10');
  });

  // SQLite only: its repositories read synchronously inside a caller's transaction on the one
  // connection; on PostgreSQL every read takes a pooled connection of its own and never sees
  // another transaction's uncommitted rename, so the case cannot arise there.
  it.skipIf(onPostgres)(
    'When a transaction renames a device, reads the site and rolls back, then later reads never show the rolled-back name, even once the version is back at the number it had inside',
    async () => {
      await poll();
      await app.repos.devices.list(world.site.id, 50);
      const before = await catalogueVersion();
      const inside = app.db.$client.transaction(() => {
        app.db.$client.prepare("UPDATE devices SET name = 'Ghost' WHERE id = ?").run(world.device.id); // the version moves by one
        void app.repos.metrics.listBySite(world.site.id); // synchronous underneath: runs inside the transaction
        void app.repos.devices.list(world.site.id, 50);
        throw new Error('roll back');
      });
      expect(() => inside()).toThrow('roll back');
      expect(await catalogueVersion()).toBe(before);
      const now = Date.now();
      // A change on another site moves the version by one again: to the number it had inside.
      await sql(
        "INSERT INTO devices (id, site_id, name, type, version, created_at, updated_at) VALUES ('dev_other', ?, 'Other meter', 'meter', 1, ?, ?)",
        world.otherSite.id,
        now,
        now,
      );
      expect(await catalogueVersion()).toBe(before + 1);
      expect((await poll()).map((m) => m.deviceName)).toEqual(['Main Battery', 'Main Battery']);
      expect((await app.repos.devices.list(world.site.id, 50))!.items.map((d) => d.name)).toEqual(['Main Battery']);
    },
  );

  it('When a metric is added or deleted, the catalogue version moves (triggers, not only the read that checks every metric has its latest value)', async () => {
    const before = await catalogueVersion();
    const now = Date.now();
    await sql(
      "INSERT INTO metrics (id, device_id, site_id, key, name, unit, kind, interval_seconds, created_at, updated_at) VALUES ('met_byhand', ?, ?, 'temp', 'Temperature', '°C', 'gauge', 60, ?, ?)",
      world.device.id,
      world.site.id,
      now,
      now,
    );
    const added = await catalogueVersion();
    expect(added).toBeGreaterThan(before);
    await sql('DELETE FROM metrics WHERE id = ?', world.metrics[power].id);
    // By how much is the database's affair: PostgreSQL's statement triggers also fire for the
    // delete's cascade to alarm rules, even when it removes none.
    expect(await catalogueVersion()).toBeGreaterThan(added);
  });

  it('When metrics are added and deleted by hand in SQL, or a device with its metrics, then the next poll lists exactly what is left', async () => {
    await poll();
    const now = Date.now();
    await sql(
      "INSERT INTO metrics (id, device_id, site_id, key, name, unit, kind, interval_seconds, created_at, updated_at) VALUES ('met_byhand', ?, ?, 'temp', 'Temperature', '°C', 'gauge', 60, ?, ?)",
      world.device.id,
      world.site.id,
      now,
      now,
    );
    expect((await poll()).map((m) => m.id)).toEqual([world.metrics[soc].id, world.metrics[power].id, 'met_byhand']);
    await sql('DELETE FROM metrics WHERE id = ?', world.metrics[soc].id);
    expect((await poll()).map((m) => m.id)).toEqual([world.metrics[power].id, 'met_byhand']);
    await sql('DELETE FROM devices WHERE id = ?', world.device.id);
    expect(await poll()).toEqual([]);
  });

  it('When a metric and a device are changed through the API, then the next poll and device list show it', async () => {
    await poll();
    const list = async () =>
      (await injectAs(app, world.viewer, { url: `/api/sites/${world.site.id}/devices?limit=1` })).json().items as {
        model: string | null;
      }[];
    expect((await list())[0].model).toBeNull();
    const res = await injectAs(app, world.technician, {
      method: 'PATCH',
      url: `/api/metrics/${world.metrics[power].id}`,
      payload: { name: 'Output' },
    });
    expect(res.statusCode).toBe(200);
    expect((await poll()).map((m) => m.name)).toEqual(['State of charge', 'Output']);
    const device = await injectAs(app, world.technician, {
      method: 'PATCH',
      url: `/api/devices/${world.device.id}`,
      payload: { model: 'BX-9' },
    });
    expect(device.statusCode).toBe(200);
    expect((await list())[0].model).toBe('BX-9');
  });

  it('When the device list is asked for different page sizes, then each gets its own first page and the right next cursor', async () => {
    await createDevice(app, world.site.id, { name: 'Site meter', type: 'meter' });
    const page = async (limit: number) =>
      (await injectAs(app, world.viewer, { url: `/api/sites/${world.site.id}/devices?limit=${limit}` })).json();
    const one = await page(1);
    expect(one.items.map((d: { name: string }) => d.name)).toEqual(['Main Battery']);
    expect(one.nextCursor).toEqual(expect.any(String));
    const two = await page(2);
    expect(two.items.map((d: { name: string }) => d.name)).toEqual(['Main Battery', 'Site meter']);
    expect(two.nextCursor).toBeNull();
    expect((await page(1)).items).toHaveLength(1);
  });

  it('When readings arrive, then the next poll has their latest values, and the catalogue version (so the cache) stays', async () => {
    expect((await poll()).map((m) => m.latest)).toEqual([null, null]);
    const before = await catalogueVersion();
    const readings = [{ metricId: world.metrics[soc].id, timestamp: new Date().toISOString(), value: 64.5 }];
    expect(
      (await injectAs(app, world.technician, { method: 'POST', url: '/api/readings', payload: { readings } }))
        .statusCode,
    ).toBe(200);
    expect((await poll()).map((m) => m.latest?.value ?? null)).toEqual([64.5, null]);
    await sql(
      'UPDATE metrics SET latest_ts = ?, latest_value = 7, latest_received_at = ? WHERE id = ?',
      Date.now(),
      Date.now(),
      world.metrics[power].id,
    );
    expect((await poll()).map((m) => m.latest?.value ?? null)).toEqual([64.5, 7]);
    expect(await catalogueVersion()).toBe(before);
  });

  it("When a site's devices are edited, added and deleted by hand in SQL, then the next device list shows exactly that", async () => {
    const devices = async () => {
      const res = await injectAs(app, world.viewer, { url: `/api/sites/${world.site.id}/devices` });
      expect(res.statusCode).toBe(200);
      return (res.json().items as { id: string; model: string | null }[]).map((d) => `${d.id} ${d.model}`);
    };
    expect(await devices()).toEqual([`${world.device.id} null`]);
    await sql("UPDATE devices SET model = 'BX-9' WHERE id = ?", world.device.id);
    expect(await devices()).toEqual([`${world.device.id} BX-9`]);
    const now = Date.now();
    await sql(
      "INSERT INTO devices (id, site_id, name, type, version, created_at, updated_at) VALUES ('dev_byhand', ?, 'Zz meter', 'meter', 1, ?, ?)",
      world.site.id,
      now,
      now,
    );
    expect(await devices()).toEqual([`${world.device.id} BX-9`, 'dev_byhand null']);
    await sql("DELETE FROM devices WHERE id = 'dev_byhand'");
    expect(await devices()).toEqual([`${world.device.id} BX-9`]);
  });

  it('When a caller changes the rows it was given, then the next read is untouched', async () => {
    const devices = await app.repos.devices.list(world.site.id, 50);
    devices!.items[0].name = 'Scribbled';
    expect((await app.repos.devices.list(world.site.id, 50))!.items[0].name).toBe('Main Battery');
    const first = await app.repos.metrics.listBySite(world.site.id);
    first[0].name = 'Scribbled';
    first[0].latestValue = -1;
    const again = await app.repos.metrics.listBySite(world.site.id);
    expect(again[0]).toMatchObject({ name: 'State of charge', latestValue: null });
  });
});

describe('session cookie signer', () => {
  it('When a cookie was verified once, then the same cookie verifies again; a tampered copy never does', () => {
    const signer = new RememberingSigner('a'.repeat(40));
    const cookie = signer.sign('session-id-1');
    expect(signer.unsign(cookie)).toMatchObject({ valid: true, value: 'session-id-1' });
    expect(signer.unsign(cookie)).toMatchObject({ valid: true, value: 'session-id-1' });
    expect(signer.sign('session-id-1')).toBe(cookie);
    expect(signer.unsign(`${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`).valid).toBe(false);
    expect(signer.unsign(cookie.replace('session-id-1', 'session-id-2')).valid).toBe(false);
    expect(new RememberingSigner('b'.repeat(40)).unsign(cookie).valid).toBe(false);
  });

  it('When a session cookie is signed with another secret, then the request is anonymous (401)', async () => {
    const forged = `${SESSION_COOKIE}=${encodeURIComponent(new RememberingSigner('x'.repeat(40)).sign('whatever'))}`;
    expect((await app.inject({ url: '/api/me', headers: { cookie: forged } })).statusCode).toBe(401);
  });
});
