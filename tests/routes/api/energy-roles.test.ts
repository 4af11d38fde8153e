import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs } from '../../helpers/app.js';
import { signIn } from '../../helpers/pages.js';
import { expectInvalid, type World } from './support.js';
import { sqlRow } from '../../helpers/sql.js';

let app: App;
let w: World;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const roles = (items: { key: string; energyRole: string | null }[]) =>
  Object.fromEntries(items.map((m) => [m.key, m.energyRole]));

describe('Energy roles of metrics', () => {
  it("When a device is made with its type's defaults, then its metrics carry the type's energy roles", async () => {
    const res = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/sites/${w.site.id}/devices`,
      payload: { name: 'Grid', type: 'meter' },
    });
    expect(res.statusCode).toBe(201);
    expect(roles(res.json().metrics)).toEqual({
      import_energy: 'grid_import',
      export_energy: 'grid_export',
      power: 'grid_power',
    });
    const battery = await injectAs(app, w.viewer, { method: 'GET', url: `/api/devices/${w.device.id}/metrics` });
    expect(roles(battery.json().items)).toEqual({ soc: 'battery_soc', power: 'battery_power' });
  });

  it('When a technician sets, changes and clears a role through the API, then each is stored; a made-up role is 422', async () => {
    const soc = w.metrics.find((m) => m.key === 'soc')!;
    const patch = (energyRole: unknown) =>
      injectAs(app, w.technician, { method: 'PATCH', url: `/api/metrics/${soc.id}`, payload: { energyRole } });
    expect((await patch('consumption_power')).json().energyRole).toBe('consumption_power');
    expect((await patch(null)).json().energyRole).toBeNull();
    expectInvalid(await patch('solar'), '/energyRole');
    const created = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/devices/${w.device.id}/metrics`,
      payload: { key: 'charged', name: 'Charged', unit: 'kWh', kind: 'counter', energyRole: 'battery_charge' },
    });
    expect(created.json().energyRole).toBe('battery_charge');
    const plain = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/devices/${w.device.id}/metrics`,
      payload: { key: 'temp', name: 'Temperature', unit: '°C' },
    });
    expect(plain.json().energyRole).toBeNull();
  });

  it('When a technician picks a role in the device form, then it is saved; None clears it; a row without the field keeps its role', async () => {
    const b = await signIn(app, w.technician.email);
    const form = await b.get(`/devices/${w.device.id}/edit`);
    expect(form.body).toMatch(/<label for="m0-role">Energy role<\/label>/);
    expect(form.body).toMatch(/<option value="battery_soc" selected>/);
    const row = (i: number, m: (typeof w.metrics)[number], role?: string) => ({
      [`metrics[${i}][id]`]: m.id,
      [`metrics[${i}][key]`]: m.key,
      [`metrics[${i}][name]`]: m.name,
      [`metrics[${i}][unit]`]: m.unit,
      [`metrics[${i}][kind]`]: m.kind,
      [`metrics[${i}][intervalSeconds]`]: m.intervalSeconds,
      ...(role === undefined ? {} : { [`metrics[${i}][energyRole]`]: role }),
    });
    const post = async (fields: object) =>
      b.post(`/devices/${w.device.id}`, {
        version: (await sqlRow<{ version: number }>(app, 'SELECT version FROM devices WHERE id = ?', [w.device.id]))!
          .version,
        name: w.device.name,
        type: 'battery',
        manufacturer: '',
        model: '',
        serialNumber: '',
        ...fields,
      });
    expect((await post({ ...row(0, w.metrics[0], ''), ...row(1, w.metrics[1], 'grid_power') })).statusCode).toBe(303);
    let stored = await injectAs(app, w.viewer, { method: 'GET', url: `/api/devices/${w.device.id}/metrics` });
    expect(roles(stored.json().items)).toEqual({ soc: null, power: 'grid_power' });
    expect((await post({ ...row(0, w.metrics[0]), ...row(1, w.metrics[1]) })).statusCode).toBe(303);
    stored = await injectAs(app, w.viewer, { method: 'GET', url: `/api/devices/${w.device.id}/metrics` });
    expect(roles(stored.json().items)).toEqual({ soc: null, power: 'grid_power' });
    expect((await b.get(`/devices/${w.device.id}`)).body).toContain('energy role: Grid power (kW, + importing)');
    const bad = await post({ ...row(0, w.metrics[0], 'solar'), ...row(1, w.metrics[1]) });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toMatch(/id="m0-role-error"/);
  });
});
