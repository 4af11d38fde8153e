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

const metricRow = (i: number, m: { id?: string; key: string; name: string; unit: string }) => ({
  ...(m.id ? { [`metrics[${i}][id]`]: m.id } : {}),
  [`metrics[${i}][key]`]: m.key,
  [`metrics[${i}][name]`]: m.name,
  [`metrics[${i}][unit]`]: m.unit,
  [`metrics[${i}][kind]`]: 'gauge',
  [`metrics[${i}][intervalSeconds]`]: '60',
});
/** The edit form as it opens: the device's fields and its current metric rows. */
const editForm = (overrides: Record<string, string | number> = {}) => ({
  version: w.device.version,
  name: w.device.name,
  type: 'battery',
  manufacturer: '',
  model: '',
  serialNumber: '',
  ...w.metrics.reduce((rows, m, i) => ({ ...rows, ...metricRow(i, m) }), {}),
  ...overrides,
});

describe('GET /devices/:deviceId', () => {
  it('When a technician opens a device, then details, charts, edit controls and the change history are shown', async () => {
    const res = await (await signIn(app, w.technician.email)).get(`/devices/${w.device.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).toContain('<h1>Main Battery</h1>');
    expect(res.body).toContain('data-chart');
    expect(res.body).toContain('/assets/chart.js');
    expect(res.body).toContain('Edit device');
    expect(res.body).toContain('Change history');
  });

  it("When a technician opens a device, then the latest reading and the change history are in the site's zone (Europe/Berlin), which the page names", async () => {
    const tech = (await app.services.auth.loadActor(w.technician.id))!;
    const soc = w.metrics.find((m) => m.key === 'soc')!;
    await app.services.readings.ingest(tech, [{ metricId: soc.id, timestamp: '2026-12-06T23:15:30.000Z', value: 50 }]);
    const res = await (await signIn(app, w.technician.email)).get(`/devices/${w.device.id}`);
    expect(res.body).toContain('<td data-label="Last reading">7 Dec, 00:15:30</td>');
    expect(res.body).toMatch(/<dt>Time zone<\/dt><dd>Europe\/Berlin /);
    expect(res.body).toContain('Change history');
    expect(res.body).not.toMatch(/\d{2}:\d{2}:\d{2} UTC/);
  });

  it('When a viewer opens a device, then there are no edit controls and no audit trail', async () => {
    const res = await (await signIn(app, w.viewer.email)).get(`/devices/${w.device.id}`);
    expect(res.statusCode).toBe(200);
    for (const word of ['Edit device', 'Delete device', 'Change history']) expect(res.body).not.toContain(word);
  });

  it('When a non-member opens a device, then it is a 404 page', async () => {
    expect((await (await signIn(app, w.outsider.email)).get(`/devices/${w.device.id}`)).statusCode).toBe(404);
  });
});

describe('Add a device', () => {
  it('When a technician opens the form, then the battery metrics are proposed', async () => {
    const res = await (await signIn(app, w.technician.email)).get(`/sites/${w.site.id}/devices/new`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('value="soc"');
    expect(res.body).toContain('<label for="device-name">Name');
  });

  it('When the type changes, then the rows of that type come back as a partial', async () => {
    const res = await (
      await signIn(app, w.technician.email)
    ).get(`/sites/${w.site.id}/devices/new/rows?type=wind_turbine`, HX);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('value="wind_speed"');
  });

  it('When a viewer opens the form, then it is 403', async () => {
    const res = await (await signIn(app, w.viewer.email)).get(`/sites/${w.site.id}/devices/new`);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Not allowed');
  });

  it('When a metric key is invalid, then the form comes back with 422, the message beside the field and the input kept', async () => {
    const b = await signIn(app, w.technician.email);
    const res = await b.post(
      `/sites/${w.site.id}/devices`,
      {
        name: 'New Inverter',
        type: 'inverter',
        manufacturer: 'SMA',
        model: '',
        serialNumber: '',
        ...metricRow(0, { key: 'power', name: 'Power', unit: 'kW' }),
        ...metricRow(5, { key: 'Bad Key', name: 'Energy', unit: 'kWh' }),
      },
      { headers: HX },
    );
    expect(res.statusCode).toBe(422);
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain('value="New Inverter"');
    expect(res.body).toContain('value="Bad Key"');
    expect(res.body).toMatch(
      /id="m1-key-error" class="field-error">Key must start with a letter and use only a–z, 0–9 and _/,
    );
    expect(await app.repos.devices.list(w.site.id, 50)).toMatchObject({ items: [{ name: 'Main Battery' }] });
  });

  it('When the form is valid, then the device is created and the browser goes to its page', async () => {
    const b = await signIn(app, w.technician.email);
    const res = await b.post(`/sites/${w.site.id}/devices`, {
      name: 'New Meter',
      type: 'meter',
      manufacturer: '',
      model: '',
      serialNumber: '',
      ...metricRow(3, { key: 'power', name: 'Power', unit: 'kW' }),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/devices\/[^/?]+\?done=created$/);
    const id = res.headers.location!.split('/').pop()!.split('?')[0];
    expect((await b.get(res.headers.location!)).body).toContain(
      '<p class="notice" role="status">New Meter is added.</p>',
    );
    const device = await app.services.devices.get((await app.services.auth.loadActor(w.admin.id))!, id);
    expect(device).toMatchObject({
      name: 'New Meter',
      manufacturer: null,
      metrics: [{ key: 'power', intervalSeconds: 60 }],
    });
  });

  it('When the CSRF token is missing, then nothing is created', async () => {
    const b = await signIn(app, w.technician.email);
    const res = await b.post(`/sites/${w.site.id}/devices`, { name: 'X', type: 'meter' }, { csrf: null });
    expect(res.statusCode).toBe(403);
  });

  it('When a viewer posts the form, then it is 403', async () => {
    const b = await signIn(app, w.viewer.email);
    expect((await b.post(`/sites/${w.site.id}/devices`, { name: 'X', type: 'meter' })).statusCode).toBe(403);
  });
});

describe('Edit and delete a device', () => {
  it('When someone else saved first, then the edit says so with 412 and nothing is overwritten', async () => {
    const b = await signIn(app, w.technician.email);
    await app.repos.devices.update(w.device.id, { name: 'Renamed elsewhere' }, undefined, null);
    const res = await b.post(`/devices/${w.device.id}`, editForm({ name: 'My name', 'metrics[1][name]': 'My power' }), {
      headers: HX,
    });
    expect(res.statusCode).toBe(412);
    expect(res.body).toContain('Someone else changed this device');
    expect(res.body).toContain('value="My name"');
    expect(res.body).toContain('value="My power"');
    expect((await app.repos.devices.findById(w.device.id))?.name).toBe('Renamed elsewhere');
    expect((await app.repos.metrics.findById(w.metrics[1].id))?.name).toBe('Power');
  });

  it('When the edit is current, then it is saved', async () => {
    const b = await signIn(app, w.technician.email);
    const res = await b.post(`/devices/${w.device.id}`, editForm({ name: 'Big Battery', manufacturer: 'ACME' }));
    expect(res.statusCode).toBe(303);
    expect((await app.repos.devices.findById(w.device.id))?.name).toBe('Big Battery');
    expect((await app.repos.metrics.listByDevice(w.device.id)).map((m) => m.id)).toEqual(w.metrics.map((m) => m.id));
  });

  it('When a rated power is typed, then it is saved and shown on the device page; emptied, it is cleared; 0 comes back with 422 beside the field', async () => {
    const b = await signIn(app, w.technician.email);
    expect((await b.post(`/devices/${w.device.id}`, editForm({ ratedPowerKw: '1900' }))).statusCode).toBe(303);
    expect((await app.repos.devices.findById(w.device.id))?.ratedPowerKw).toBe(1900);
    const page = await b.get(`/devices/${w.device.id}`);
    expect(page.body).toMatch(/<dt>Rated power<\/dt><dd>1,900 kW<\/dd>/);
    expect((await b.get(`/devices/${w.device.id}/edit`)).body).toMatch(
      /id="device-rated-power" name="ratedPowerKw" type="number" value="1900"/,
    );

    const refused = await b.post(`/devices/${w.device.id}`, editForm({ version: 2, ratedPowerKw: '0' }));
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('id="device-rated-power-error"');
    expect((await app.repos.devices.findById(w.device.id))?.ratedPowerKw).toBe(1900);

    expect((await b.post(`/devices/${w.device.id}`, editForm({ version: 2, ratedPowerKw: '' }))).statusCode).toBe(303);
    expect((await app.repos.devices.findById(w.device.id))?.ratedPowerKw).toBeNull();
  });

  it('When a name is emptied, then 422 with the message beside Name', async () => {
    const b = await signIn(app, w.technician.email);
    const res = await b.post(`/devices/${w.device.id}`, editForm({ name: '' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="device-name-error"');
  });

  it('When a technician opens the edit form, then the metric rows are there with their ids, removable, and the removal is explained', async () => {
    const res = await (await signIn(app, w.technician.email)).get(`/devices/${w.device.id}/edit`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    for (const [i, m] of w.metrics.entries()) {
      expect(res.body).toContain(`name="metrics[${i}][id]" value="${m.id}"`);
      expect(res.body).toContain(`value="${m.key}"`);
      expect(res.body).toContain(`aria-label="Remove metric ${m.name}" aria-describedby="metrics-remove-hint"`);
    }
    expect(res.body).toMatch(/id="metrics-remove-hint">.*Removing a metric deletes its readings/);
    expect(res.body).toContain('>Add metric</button>');
  });

  it('When a technician renames a metric, removes one and adds one, then all of it is saved and the history says so', async () => {
    const b = await signIn(app, w.technician.email);
    const [soc, power] = w.metrics;
    // Row 1 (power) was removed in the browser; the added row has the time-based index the "Add metric" button gives it.
    const res = await b.post(`/devices/${w.device.id}`, {
      version: w.device.version,
      name: 'Big Battery',
      type: 'battery',
      manufacturer: '',
      model: '',
      serialNumber: '',
      ...metricRow(0, { id: soc.id, key: 'soc', name: 'Charge', unit: '%' }),
      ...metricRow(1700000000000, { key: 'temperature', name: 'Temperature', unit: '°C' }),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/devices/${w.device.id}?done=saved`);
    expect((await b.get(res.headers.location!)).body).toContain('>Your changes to Big Battery are saved.</p>');
    expect(await app.repos.metrics.listByDevice(w.device.id)).toMatchObject([
      { id: soc.id, name: 'Charge' },
      { key: 'temperature', name: 'Temperature', unit: '°C' },
    ]);
    expect(await app.repos.metrics.findById(power.id)).toBeNull();
    const page = await b.get(`/devices/${w.device.id}`);
    expect(page.body).toContain(
      'metrics: State of charge (soc), Power (power) → Charge (soc), Temperature (temperature)',
    );
  });

  it('When a metric row has a duplicate key, then 422 keeps every row as typed with the message beside that key, and nothing is saved', async () => {
    const b = await signIn(app, w.technician.email);
    const res = await b.post(
      `/devices/${w.device.id}`,
      editForm({ name: 'Big Battery', ...metricRow(7, { key: 'soc', name: 'Second charge', unit: '%' }) }),
      { headers: HX },
    );
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain('value="Big Battery"');
    expect(res.body).toContain('value="Second charge"');
    expect(res.body).toContain(`name="metrics[0][id]" value="${w.metrics[0].id}"`);
    expect(res.body).toMatch(/id="m2-key-error" class="field-error">Key Duplicate metric key &quot;soc&quot;/);
    expect((await app.repos.devices.findById(w.device.id))?.name).toBe('Main Battery');
    expect(await app.repos.metrics.listByDevice(w.device.id)).toHaveLength(2);
  });

  it('When a row names a metric that is no longer on the device, then 422 says so at that row', async () => {
    const b = await signIn(app, w.technician.email);
    const res = await b.post(`/devices/${w.device.id}`, editForm({ 'metrics[1][id]': 'met_gone' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toMatch(/id="m1-id-error">This metric is no longer on the device/);
    expect(await app.repos.metrics.findById(w.metrics[1].id)).not.toBeNull();
  });

  it('When the interval or kind of a metric row is emptied, then 422 beside that field and the metric keeps its interval (the API default of 60 s does not apply to a form)', async () => {
    const b = await signIn(app, w.technician.email);
    await app.repos.metrics.update(w.metrics[0].id, { intervalSeconds: 900 }, null);
    const version = (await app.repos.devices.findById(w.device.id))!.version;
    for (const [field, message] of [
      ['intervalSeconds', 'id="m0-interval-error" class="field-error">Interval (s) is required'],
      ['kind', 'id="m0-kind-error" class="field-error">Kind is not one of the allowed values'],
    ] as const) {
      const res = await b.post(`/devices/${w.device.id}`, editForm({ version, [`metrics[0][${field}]`]: '' }));
      expect(res.statusCode).toBe(422);
      expect(res.body).toContain(message);
    }
    expect((await app.repos.metrics.findById(w.metrics[0].id))!.intervalSeconds).toBe(900);
    const added = await b.post(`/sites/${w.site.id}/devices`, {
      name: 'New Meter',
      type: 'meter',
      manufacturer: '',
      model: '',
      serialNumber: '',
      ...metricRow(3, { key: 'power', name: 'Power', unit: 'kW' }),
      'metrics[3][intervalSeconds]': '',
    });
    expect(added.statusCode).toBe(422);
    expect(added.body).toMatch(/id="m0-interval-error" class="field-error">Interval \(s\) is required/);
    expect((await app.repos.devices.list(w.site.id, 50))!.items).toHaveLength(1);
  });

  it('When every metric row is removed, then 422 says a device needs at least one metric and nothing is deleted', async () => {
    const b = await signIn(app, w.technician.email);
    const res = await b.post(`/devices/${w.device.id}`, {
      version: w.device.version,
      name: 'Main Battery',
      type: 'battery',
      manufacturer: '',
      model: '',
      serialNumber: '',
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('A device needs at least one metric');
    expect(await app.repos.metrics.listByDevice(w.device.id)).toHaveLength(2);
  });

  it('When a viewer opens or posts the edit form, then it is 403; a non-member gets 404; nothing changes', async () => {
    const viewer = await signIn(app, w.viewer.email);
    expect((await viewer.get(`/devices/${w.device.id}/edit`)).statusCode).toBe(403);
    expect((await viewer.post(`/devices/${w.device.id}`, editForm({ name: 'Viewer was here' }))).statusCode).toBe(403);
    const outsider = await signIn(app, w.outsider.email);
    expect((await outsider.get(`/devices/${w.device.id}/edit`)).statusCode).toBe(404);
    expect((await outsider.post(`/devices/${w.device.id}`, editForm({ name: 'Outsider was here' }))).statusCode).toBe(
      404,
    );
    expect((await app.repos.devices.findById(w.device.id))?.name).toBe('Main Battery');
  });

  it('When deleting, then the confirmation names the metrics and readings that go with it; confirming deletes', async () => {
    const b = await signIn(app, w.technician.email);
    const confirm = await b.get(`/devices/${w.device.id}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toMatch(/2 metrics.*all their readings/s);
    const res = await b.post(`/devices/${w.device.id}/delete`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/sites/${w.site.id}?done=device-deleted`);
    expect(await app.repos.devices.findById(w.device.id)).toBeNull();
    expect((await b.get(res.headers.location!)).body).toContain(
      '<p class="notice" role="status">The device is deleted, with its metrics and readings.</p>',
    );
  });

  it('When a viewer opens the delete confirmation, then it is 403', async () => {
    expect((await (await signIn(app, w.viewer.email)).get(`/devices/${w.device.id}/delete`)).statusCode).toBe(403);
  });
});

describe('GET /devices/:deviceId, its charts and signs', () => {
  it('When the address names a window and an aggregation, then the controls start from them and each chart has a CSV link', async () => {
    const b = await signIn(app, w.viewer.email);
    const res = await b.get(`/devices/${w.device.id}?range=1h&agg=max`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<option value="1h" selected>Last hour<\/option>/);
    expect(res.body).toMatch(/<option value="max" selected>Maximum<\/option>/);
    expect(res.body).toContain('<label for="chart-agg">Aggregation</label>');
    for (const m of w.metrics) expect(res.body).toContain(`href="/api/metrics/${m.id}/timeseries?format=csv"`);
    const plain = await b.get(`/devices/${w.device.id}`);
    expect(plain.body).toMatch(/<option value="24h" selected>/);
    expect(plain.body).toMatch(/<option value="default" selected>/);
  });

  it('When the address names a window that does not exist, then it is a 400 page, not a 500', async () => {
    const res = await (await signIn(app, w.viewer.email)).get(`/devices/${w.device.id}?range=2y`);
    expect(res.statusCode).toBe(400);
  });

  it("When a battery's page is shown, then its power says which sign is discharging, and it says where its readings come from", async () => {
    const res = await (await signIn(app, w.viewer.email)).get(`/devices/${w.device.id}`);
    expect(res.body.match(/Positive while discharging/g)?.length).toBe(2); // chart caption and metrics table
    expect(res.body).toContain('Its own integration');
    await app.repos.devices.update(w.device.id, { simulated: true }, undefined, null);
    const simulated = await (await signIn(app, w.viewer.email)).get(`/devices/${w.device.id}`);
    expect(simulated.body).toContain('The demo simulator');
  });
});
