// Known answers for the energy API: a Berlin site with a production counter (reset once, one
// hour missing), a grid meter's import and export registers (export stops a day early), across
// the day clocks go back (25 hours).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { HOUR_MS } from '../../../src/time.js';
import { addMember, buildTestApp, createSite, createWorld, injectAs } from '../../helpers/app.js';
import { expectProblem, type World } from './support.js';
import { sqlRun } from '../../helpers/sql.js';

let app: App;
let w: World;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

/** Local midnights in Berlin: 24 Oct 2026 (CEST), the 25th (clocks go back), 26th, 27th, 28th (CET). */
const MIDNIGHTS = ['2026-10-23T22:00:00Z', '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z', '2026-10-26T23:00:00Z'];
const FROM = '2026-10-23T22:00:00.000Z';
const TO = '2026-10-27T23:00:00.000Z';

const counter = (key: string, energyRole: string) => ({
  key,
  name: key,
  unit: 'kWh',
  kind: 'counter' as const,
  intervalSeconds: 3600,
  energyRole: energyRole as 'production',
});

/** Hourly readings from two hours before the window (so each day's first step is known) to its end. */
async function fixture(siteId: string) {
  const { metrics: pv } = await app.repos.devices.create(
    siteId,
    { name: 'PV', type: 'pv_array', manufacturer: null, model: null, serialNumber: null },
    [counter('energy', 'production')],
    null,
  );
  const { metrics: meter } = await app.repos.devices.create(
    siteId,
    { name: 'Grid meter', type: 'meter', manufacturer: null, model: null, serialNumber: null },
    [counter('import_energy', 'grid_import'), counter('export_energy', 'grid_export')],
    null,
  );
  const start = Date.parse(FROM) - 2 * HOUR_MS;
  const reset = Date.parse('2026-10-26T11:00:00Z'); // noon in Berlin
  const missing = Date.parse('2026-10-27T09:00:00Z'); // 10:00 in Berlin
  const exportEnds = Date.parse(MIDNIGHTS[3]);
  const rows = [];
  for (let t = start; t < Date.parse(TO); t += HOUR_MS) {
    const h = (t - start) / HOUR_MS;
    // The inverter restarts at noon on the 26th and counts from 0 again: 1 kWh in that hour.
    const produced = t < reset ? 100 + h : 1 + (t - reset) / HOUR_MS;
    const timestamp = new Date(t).toISOString();
    if (t !== missing) rows.push({ metricId: pv[0].id, timestamp, value: produced });
    rows.push({ metricId: meter[0].id, timestamp, value: 5000 + 0.5 * h });
    if (t < exportEnds) rows.push({ metricId: meter[1].id, timestamp, value: 200 + 0.25 * h });
  }
  const admin = (await app.services.auth.loadActor(w.admin.id))!;
  await app.services.readings.ingest(admin, rows);
}

const day = (start: string, p: number, i: number, e: number | null) => ({
  start: new Date(start).toISOString(),
  production: p,
  gridImport: i,
  gridExport: e,
  consumption: e === null ? null : p + i - e,
  batteryCharge: null,
  batteryDischarge: null,
  selfConsumption: e === null ? null : 0.75,
  selfSufficiency: e === null ? null : 0.6,
});

describe('GET /api/sites/:siteId/energy', () => {
  it('When the counters reset, skip an hour, stop, and a day has 25 hours, then each local day has the exact energies, derived consumption, ratios and nulls', async () => {
    await fixture(w.site.id);
    const res = await injectAs(app, w.viewer, {
      method: 'GET',
      url: `/api/sites/${w.site.id}/energy?from=${FROM}&to=${TO}&interval=1d`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      from: FROM,
      to: TO,
      interval: '1d',
      tz: 'Europe/Berlin',
      siteId: w.site.id,
      siteName: 'Main Site',
      measured: ['production', 'grid_import', 'grid_export'],
      consumptionSource: 'derived',
      buckets: [
        day(MIDNIGHTS[0], 24, 12, 6),
        day(MIDNIGHTS[1], 25, 12.5, 6.25), // 25 hours
        day(MIDNIGHTS[2], 24, 12, 6), // the reset counts the kWh after it, not a negative step
        day(MIDNIGHTS[3], 24, 12, null), // the missing hour's kWh arrive with the next reading; no export data
      ],
    });
  });

  it('When asked for months, then the month holds every step that ends in it, and the ratios follow', async () => {
    await fixture(w.site.id);
    const res = await injectAs(app, w.viewer, {
      method: 'GET',
      url: `/api/sites/${w.site.id}/energy?from=${FROM}&to=${TO}&interval=1mo`,
    });
    const [october] = res.json().buckets;
    // The 23rd's last step (22:00 to 23:00 local) is in October too: 1 + 24 + 25 + 24 + 24.
    expect(october).toEqual({
      start: '2026-09-30T22:00:00.000Z',
      production: 98,
      gridImport: 49,
      gridExport: 18.5,
      consumption: 128.5,
      batteryCharge: null,
      batteryDischarge: null,
      selfConsumption: 0.8112, // (98 − 18.5) / 98
      selfSufficiency: 0.6187, // 1 − 49 / 128.5
    });
  });

  it('When asked for CSV, then one row per day with empty cells for nulls', async () => {
    await fixture(w.site.id);
    const res = await injectAs(app, w.viewer, {
      method: 'GET',
      url: `/api/sites/${w.site.id}/energy?from=${FROM}&to=${TO}&format=csv`,
    });
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'timestamp,site_id,site,production_kwh,consumption_kwh,grid_import_kwh,grid_export_kwh,battery_charge_kwh,battery_discharge_kwh,self_consumption,self_sufficiency',
    );
    expect(lines[2]).toBe(`2026-10-24T22:00:00.000Z,${w.site.id},Main Site,25,31.25,12.5,6.25,,,0.75,0.6`);
    expect(lines[4]).toBe(`2026-10-26T23:00:00.000Z,${w.site.id},Main Site,24,,12,,,,,`);
  });

  it('When a site has no energy roles, then every bucket is null and nothing is measured', async () => {
    await sqlRun(app, 'UPDATE metrics SET energy_role = NULL');
    const res = await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}/energy?interval=1w` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ measured: [], consumptionSource: null });
    for (const b of res.json().buckets) expect(Object.values(b).filter((v) => v !== null)).toEqual([b.start]);
  });

  it('When a non-member asks, then 404 as for a missing site; a bad interval or zone is 400', async () => {
    expectProblem(
      await injectAs(app, w.outsider, { method: 'GET', url: `/api/sites/${w.site.id}/energy` }),
      404,
      'SITE_NOT_FOUND',
    );
    expectProblem(
      await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}/energy?interval=1h` }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}/energy?tz=Mars/Olympus` }),
      400,
      'BAD_REQUEST',
    );
  });
});

describe('GET /api/energy', () => {
  it('When the caller sees two sites, then each is listed and the total sums what each measures', async () => {
    await fixture(w.site.id);
    const depot = await createSite(app, { name: 'Depot' });
    await addMember(app, depot.id, w.viewer.id, 'viewer');
    const { metrics } = await app.repos.devices.create(
      depot.id,
      { name: 'Charger', type: 'ev_charger', manufacturer: null, model: null, serialNumber: null },
      [counter('energy', 'consumption')],
      null,
    );
    const rows = [];
    for (let t = Date.parse(FROM) - HOUR_MS; t < Date.parse(TO); t += HOUR_MS)
      rows.push({ metricId: metrics[0].id, timestamp: new Date(t).toISOString(), value: 2 * (t / HOUR_MS) });
    await app.services.readings.ingest((await app.services.auth.loadActor(w.admin.id))!, rows);

    const res = await injectAs(app, w.viewer, { method: 'GET', url: `/api/energy?from=${FROM}&to=${TO}` });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.tz).toBe('Europe/Berlin');
    expect(body.sites.map((s: { siteName: string }) => s.siteName)).toEqual(['Depot', 'Main Site']);
    expect(body.sites[0]).toMatchObject({ measured: ['consumption'], consumptionSource: 'measured' });
    // The depot's consumption (48 kWh a day) adds to the site's derived 30; its unknown
    // self-sufficiency leaves the site's 0.6 as the total's.
    expect(body.total[0]).toEqual({ ...day(MIDNIGHTS[0], 24, 12, 6), consumption: 78 });
    expect(body.total[1].consumption).toBe(31.25 + 50);
    expect(body.total[3]).toMatchObject({ production: 24, consumption: null, gridExport: null });

    const other = await injectAs(app, w.outsider, { method: 'GET', url: `/api/energy?from=${FROM}&to=${TO}` });
    expect(other.json().sites).toEqual([]);
    expect(other.json().total[0]).toMatchObject({ production: null, consumption: null, selfSufficiency: null });
    expect(other.json().tz).toBe('UTC');

    const csv = await injectAs(app, w.viewer, { method: 'GET', url: `/api/energy?from=${FROM}&to=${TO}&format=csv` });
    expect(csv.body.split('\r\n')[1]).toBe(`2026-10-23T22:00:00.000Z,,All sites,24,78,12,6,,,0.75,0.6`);
  });
});
