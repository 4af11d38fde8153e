import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { addMember, buildTestApp, createDevice, createSite, createUser, createWorld } from '../../helpers/app.js';
import { HX, signIn } from '../../helpers/pages.js';
import { countStatements } from '../../helpers/statements.js';
import { setLatest } from '../../helpers/sql.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

describe('GET /sites', () => {
  it('When a viewer lists sites, then they see exactly their site with device count, generation and metered power, each counted once', async () => {
    const setPower = (id: string, kw: number) => setLatest(app, id, kw);
    const first = await (await signIn(app, w.viewer.email)).get('/sites');
    expect(first.body).toMatch(/1 device</);
    expect(first.body).toMatch(/Generation now: <span class="value">–/);
    expect(first.body).not.toContain('Meters now');
    // A battery discharging 12.5 kW, a PV array making 40 kW, and the site's meter seeing the 52.5 kW they export.
    await setPower(w.metrics.find((m) => m.key === 'power')!.id, 12.5);
    const pv = await createDevice(app, w.site.id, { name: 'Roof PV', type: 'pv_array' });
    const meter = await createDevice(app, w.site.id, { name: 'Grid Meter', type: 'meter' });
    await setPower(pv.metrics.find((m) => m.key === 'power')!.id, 40);
    await setPower(meter.metrics.find((m) => m.key === 'power')!.id, 52.5);
    const res = await (await signIn(app, w.viewer.email)).get('/sites');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).toContain('Main Site');
    expect(res.body).not.toContain('Other Site');
    expect(res.body).toMatch(/3 devices</);
    expect(res.body).toMatch(/Generation now: <span class="value">40 kW/);
    expect(res.body).toMatch(/Meters now: <span class="value">52.5 kW/);
    const site = await (await signIn(app, w.viewer.email)).get(`/sites/${w.site.id}`);
    expect(site.body).toMatch(/id="site-generation">40 kW/);
    expect(site.body).toMatch(/id="site-metered">52.5 kW/);
    // The API's latest values are unchanged by this: no device type leaks into them.
    const api = await app.inject({
      url: `/api/sites/${w.site.id}/latest`,
      headers: { cookie: (await signIn(app, w.viewer.email)).cookie },
    });
    expect(api.statusCode).toBe(200);
    expect(api.body).not.toContain('deviceType');
  });

  it('When there are 2 sites or 20, then the list with every site’s summary costs the same number of SQL statements', async () => {
    /** Statements for one /sites as an admin and as a member of every site, with `n` sites holding a device each. */
    async function cost(n: number) {
      const fresh = await buildTestApp();
      try {
        const admin = await createUser(fresh, { isAdmin: true });
        const member = await createUser(fresh);
        for (let i = 0; i < n; i++) {
          const site = await createSite(fresh);
          await addMember(fresh, site.id, member.id, i % 2 ? 'viewer' : 'technician');
          await createDevice(fresh, site.id, { type: i % 2 ? 'pv_array' : 'meter' });
        }
        const costs = [];
        for (const user of [admin, member]) {
          const b = await signIn(fresh, user.email); // signing in also opens /sites once
          let body = '';
          costs.push(await countStatements(fresh, async () => void ({ body } = await b.get('/sites'))));
          expect(body.match(/<article /g)).toHaveLength(n);
        }
        return costs;
      } finally {
        await fresh.close();
      }
    }
    const few = await cost(2);
    expect(await cost(20)).toEqual(few);
  });

  it('When htmx searches by name, then only the list partial comes back', async () => {
    const b = await signIn(app, w.admin.email);
    const res = await b.get('/sites?q=other', HX);
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain('Other Site');
    expect(res.body).not.toContain('Main Site');
  });

  it('When htmx restores history, then it gets the full page', async () => {
    const res = await (await signIn(app, w.admin.email)).get('/sites', { ...HX, 'hx-history-restore-request': 'true' });
    expect(res.body).toContain('<html');
  });
});

describe('GET /sites/:siteId', () => {
  it('When a technician opens the site, then devices, metrics and "Add device" are shown', async () => {
    const res = await (await signIn(app, w.technician.email)).get(`/sites/${w.site.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Main Battery');
    expect(res.body).toContain('State of charge');
    expect(res.body).toContain('>Add device<');
    expect(res.body).toContain('hx-trigger="every 10s"');
  });

  it("When a reading is shown, then its time is the site's (Europe/Berlin), 24-hour, day before month, and the page names the zone", async () => {
    const tech = (await app.services.auth.loadActor(w.technician.id))!;
    const soc = w.metrics.find((m) => m.key === 'soc')!;
    await app.services.readings.ingest(tech, [{ metricId: soc.id, timestamp: '2026-12-06T23:15:30.000Z', value: 50 }]);
    const res = await (await signIn(app, w.viewer.email)).get(`/sites/${w.site.id}`);
    expect(res.body).toContain('title="Last reading 7 Dec, 00:15:30"');
    expect(res.body).toContain('Times are in Europe/Berlin');
    expect(res.body).not.toMatch(/\d{2}:\d{2}:\d{2} UTC/);
  });

  it('When a viewer opens the site, then there is no edit control at all', async () => {
    const res = await (await signIn(app, w.viewer.email)).get(`/sites/${w.site.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Main Battery');
    for (const word of ['Add device', 'Edit', 'Delete', '/devices/new']) expect(res.body).not.toContain(word);
  });

  it('When the poll asks (htmx), then only the devices partial comes back, with Vary', async () => {
    const res = await (await signIn(app, w.viewer.email)).get(`/sites/${w.site.id}`, HX);
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body.trim()).toMatch(/^<section id="site-devices"/);
    expect(res.body).not.toContain('<html');
  });

  it('When a non-member opens the site, then they get the same 404 page as for a missing site', async () => {
    const b = await signIn(app, w.outsider.email);
    const hidden = await b.get(`/sites/${w.site.id}`);
    const missing = await b.get('/sites/site_doesnotexist');
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers['content-type']).toMatch(/^text\/html/);
    expect(hidden.body).toContain('Page not found');
    expect(hidden.body).not.toContain('Main Site');
    expect(hidden.body.replace(/content="[^"]+"|value="[^"]+"/g, '')).toBe(
      missing.body.replace(/content="[^"]+"|value="[^"]+"/g, ''),
    );
  });

  it('When htmx asks for a hidden site, then an in-place error fragment comes back', async () => {
    const res = await (await signIn(app, w.outsider.email)).get(`/sites/${w.site.id}`, HX);
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('role="alert"');
    expect(res.body).not.toContain('<html');
  });
});

describe('Not found', () => {
  it('When a signed-in user opens an unknown URL, then a friendly 404 page without a stack trace is shown', async () => {
    const res = await (await signIn(app, w.viewer.email)).get('/no/such/page');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('Back to your sites');
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('Long lists', () => {
  it('When there are more sites or devices than a page shows, then the page says so instead of cutting the list silently', async () => {
    const b = await signIn(app, w.admin.email);
    expect((await b.get('/sites')).body).not.toContain('Only the first');
    for (let i = 0; i < 200; i++) await createSite(app, { name: `Bulk ${String(i).padStart(3, '0')}` });
    const sites = await b.get('/sites');
    expect(sites.body).toContain('Only the first 200 sites are shown, by name. Search by name to find the others.');
    expect((await b.get('/sites?q=Bulk%20001')).body).not.toContain('Only the first');

    expect((await b.get(`/sites/${w.site.id}`)).body).not.toContain('Only the first');
    for (let i = 0; i < 200; i++)
      await createDevice(app, w.site.id, { name: `Bulk device ${String(i).padStart(3, '0')}`, type: 'meter' });
    const page = await b.get(`/sites/${w.site.id}`);
    expect(page.body).toContain('Only the first 200 of 201 devices are shown here');
  }, 30_000);
});

describe('GET /sites, live', () => {
  it('When the list is shown, then it polls its own partial every 10 s with the search, and the partial carries the cards', async () => {
    const b = await signIn(app, w.viewer.email);
    const page = await b.get('/sites');
    expect(page.body).toMatch(/<div id="site-list" hx-get="\/sites" hx-include="#site-search" hx-trigger="every 10s"/);
    const partial = await b.get('/sites?q=Main', HX);
    expect(partial.statusCode).toBe(200);
    expect(partial.headers.vary).toMatch(/HX-Request/);
    expect(partial.body).not.toContain('<html');
    expect(partial.body).toContain('Main Site');
  });

  it("When a site has a meter reading, then the site page and the list say what a meter's sign means", async () => {
    const meter = await createDevice(app, w.site.id, { name: 'Grid Meter', type: 'meter' });
    await setLatest(app, meter.metrics.find((m) => m.key === 'power')!.id, -20);
    const b = await signIn(app, w.viewer.email);
    expect((await b.get('/sites')).body).toContain('positive while importing, negative while exporting');
    const site = (await b.get(`/sites/${w.site.id}`)).body;
    expect(site).toContain('positive while importing, negative while exporting');
    expect(site).toContain('+ discharging, − charging');
    expect(site).toContain('+ importing, − exporting');
  });
});
