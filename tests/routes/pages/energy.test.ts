import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { DAY_MS, HOUR_MS } from '../../../src/time.js';
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

/** A PV array and a grid meter on the main site with hourly counters over the last three days. */
async function energySite() {
  const pv = await createDevice(app, w.site.id, { name: 'Roof PV', type: 'pv_array' });
  const meter = await createDevice(app, w.site.id, { name: 'Grid meter', type: 'meter' });
  const key = (d: typeof pv, k: string) => d.metrics.find((m) => m.key === k)!.id;
  const rows = [];
  const end = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  for (let t = end - 3 * DAY_MS, h = 0; t <= end; t += HOUR_MS, h++) {
    const timestamp = new Date(t).toISOString();
    rows.push({ metricId: key(pv, 'energy'), timestamp, value: 2 * h });
    rows.push({ metricId: key(meter, 'import_energy'), timestamp, value: h });
    rows.push({ metricId: key(meter, 'export_energy'), timestamp, value: 0.5 * h });
  }
  await app.services.readings.ingest((await app.services.auth.loadActor(w.admin.id))!, rows);
}

describe('GET /sites/:siteId/energy', () => {
  it("When a viewer opens a site with energy metrics, then today's figures, both ratios and the day and month bars are there by name", async () => {
    await energySite();
    const b = await signIn(app, w.viewer.email);
    const site = await b.get(`/sites/${w.site.id}`);
    expect(site.body).toContain(`href="/sites/${w.site.id}/energy"`);
    const res = await b.get(`/sites/${w.site.id}/energy`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).toContain('<h1>Energy</h1>');
    expect(res.body).toMatch(/<h2 id="today-title">Today<\/h2>/);
    for (const name of ['Produced', 'Consumed', 'Imported', 'Exported', 'Net import'])
      expect(res.body).toContain(`<dt>${name}`);
    expect(res.body).toContain('<dt>Self-consumption today</dt><dd>75 %</dd>');
    expect(res.body).toContain('<dt>Self-sufficiency today</dt><dd>');
    expect(res.body).toMatch(/<svg class="energy-bars"[^>]*role="img" aria-labelledby="daily-title daily-desc"/);
    expect(res.body).toMatch(/<h2 id="monthly-title">Last 12 months<\/h2>/);
    expect(res.body).toContain('<caption>Last 30 days, kWh</caption>');
    expect(res.body).toContain('class="e-production"');
    expect(res.body).not.toContain('style=');
  });

  it("When a site with PV and a grid meter is opened, then today's flows are drawn and listed in words", async () => {
    await energySite();
    const res = await (await signIn(app, w.viewer.email)).get(`/sites/${w.site.id}/energy`);
    expect(res.body).toMatch(/<svg class="energy-flow-diagram"[^>]*role="img" aria-labelledby="flow-title flow-desc"/);
    expect(res.body).toContain("Where today's energy went");
    // Hourly counters: production 2, import 1, export 0.5 kWh an hour.
    const list = res.body.slice(res.body.indexOf('<ul class="energy-flow-list">'));
    expect(list).toMatch(/<li>Production to consumption: [\d.,]+ kWh<\/li>/);
    expect(list).toMatch(/<li>Production to grid: [\d.,]+ kWh<\/li>/);
    expect(list).toMatch(/<li>Grid to consumption: [\d.,]+ kWh<\/li>/);
    expect(list).not.toContain('Battery');
  });

  it('When htmx asks, then only the energy section comes back', async () => {
    const res = await (await signIn(app, w.viewer.email)).get(`/sites/${w.site.id}/energy`, HX);
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain('id="site-energy"');
  });

  it('When a site has no energy roles, then the site page has no energy link and the energy page says how to get one', async () => {
    await sqlOf(app).run('UPDATE metrics SET energy_role = NULL');
    const b = await signIn(app, w.viewer.email);
    expect((await b.get(`/sites/${w.site.id}`)).body).not.toContain('/energy"');
    const res = await b.get(`/sites/${w.site.id}/energy`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('No energy metrics');
  });

  it('When a non-member opens it, then 404', async () => {
    const res = await (await signIn(app, w.outsider.email)).get(`/sites/${w.site.id}/energy`);
    expect(res.statusCode).toBe(404);
  });
});
