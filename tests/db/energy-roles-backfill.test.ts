// Migration 0018 on a database from before energy roles: its metrics get their type's roles, a PV
// array behind an inverter none, and a role someone cleared since stays cleared. The older rows are
// made by taking the energyRole out of what the audit trail recorded, as the code before roles wrote it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp, createDevice, createSite, createUser } from '../helpers/app.js';

let app: App;
beforeEach(async () => {
  app = await buildTestApp();
});
afterEach(() => app.close());

const MIGRATION = readFileSync(join(process.cwd(), 'drizzle', '0018_energy_roles_backfill.sql'), 'utf8');

/** The device's metrics and audit rows as they were before roles: no energy_role, no energyRole recorded. */
function makeOld(deviceId: string) {
  const c = app.db.$client;
  c.prepare('UPDATE metrics SET energy_role = NULL WHERE device_id = ?').run(deviceId);
  const rows = c
    .prepare("SELECT id, after FROM audit_log WHERE entity_type = 'device' AND entity_id = ?")
    .all(deviceId) as {
    id: number;
    after: string;
  }[];
  for (const r of rows) {
    const after = JSON.parse(r.after) as { metrics: Record<string, unknown>[] };
    for (const m of after.metrics) delete m.energyRole;
    c.prepare('UPDATE audit_log SET after = ? WHERE id = ?').run(JSON.stringify(after), r.id);
  }
}

const rolesOf = (deviceId: string) =>
  Object.fromEntries(
    (
      app.db.$client.prepare('SELECT key, energy_role AS role FROM metrics WHERE device_id = ?').all(deviceId) as {
        key: string;
        role: string | null;
      }[]
    ).map((m) => [m.key, m.role]),
  );

describe('Migration 0018: energy roles for metrics made before them', () => {
  it("When an old database is migrated, then old metrics get their type's roles, a PV array behind an inverter none, and a role cleared since stays cleared", async () => {
    const farm = await createSite(app, { name: 'Old farm' });
    const home = await createSite(app, { name: 'Old home' });
    const meter = await createDevice(app, farm.id, { type: 'meter' });
    const inverter = await createDevice(app, farm.id, { type: 'inverter' });
    const array = await createDevice(app, farm.id, { type: 'pv_array' });
    const roofPv = await createDevice(app, home.id, { type: 'pv_array' });
    const other = await createDevice(app, home.id, { type: 'other' });
    for (const d of [meter, inverter, array, roofPv, other]) makeOld(d.device.id);
    // Made after roles existed, its role cleared by a technician: the audit trail says null.
    const charger = await createDevice(app, home.id, { type: 'ev_charger' });
    const energy = charger.metrics.find((m) => m.key === 'energy')!;
    const admin = (await app.services.auth.loadActor((await createUser(app, { isAdmin: true })).id))!;
    await app.services.metrics.update(admin, energy.id, { energyRole: null });

    app.db.$client.exec(MIGRATION);

    expect(rolesOf(meter.device.id)).toEqual({
      import_energy: 'grid_import',
      export_energy: 'grid_export',
      power: 'grid_power',
    });
    expect(rolesOf(inverter.device.id)).toEqual({ power: 'production_power', energy: 'production' });
    expect(rolesOf(array.device.id)).toEqual({ power: null, energy: null });
    expect(rolesOf(roofPv.device.id)).toEqual({ power: 'production_power', energy: 'production' });
    expect(rolesOf(other.device.id)).toEqual({ value: null });
    expect(rolesOf(charger.device.id)).toEqual({ power: 'consumption_power', energy: null });
  });
});
