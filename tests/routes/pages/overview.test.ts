import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { DAY_MS, HOUR_MS } from '../../../src/time.js';
import { addMember, buildTestApp, createDevice, createSite, createWorld } from '../../helpers/app.js';
import { HX, signIn } from '../../helpers/pages.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

/** A PV array producing `kwhPerHour` on a site, over the last two days. */
async function pv(siteId: string, kwhPerHour: number) {
  const { metrics } = await createDevice(app, siteId, { name: 'PV', type: 'pv_array' });
  const energy = metrics.find((m) => m.key === 'energy')!.id;
  const end = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const rows = [];
  for (let t = end - 2 * DAY_MS, h = 0; t <= end; t += HOUR_MS, h++)
    rows.push({ metricId: energy, timestamp: new Date(t).toISOString(), value: kwhPerHour * h });
  await app.services.readings.ingest((await app.services.auth.loadActor(w.admin.id))!, rows);
}

describe('GET /', () => {
  it("When a viewer opens the landing page, then today's and this month's totals and a table of their sites are there by name", async () => {
    await pv(w.site.id, 1);
    const res = await (await signIn(app, w.viewer.email)).get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).toContain('<h1>Overview</h1>');
    expect(res.body).toMatch(/<h2 id="today-title">Today<\/h2>/);
    expect(res.body).toMatch(/<h2 id="month-title">This month<\/h2>/);
    expect(res.body).toContain('<dt>Net import</dt><dd>no data</dd>');
    expect(res.body).toMatch(/<th scope="col" aria-sort="ascending"><a [^>]*>Site/);
    expect(res.body).toContain('>Main Site</a>');
    expect(res.body).not.toContain('Other Site');
  });

  it('When the table is sorted by production, descending, then the largest producer comes first and a site without data last; the totals count the sites with data', async () => {
    const big = await createSite(app, { name: 'Big Farm' });
    const quiet = await createSite(app, { name: 'Archive' });
    for (const s of [big, quiet]) await addMember(app, s.id, w.viewer.id, 'viewer');
    await pv(w.site.id, 1);
    await pv(big.id, 5);
    await createDevice(app, quiet.id, { name: 'Silent PV', type: 'pv_array' });
    const b = await signIn(app, w.viewer.email);
    // The silent site does not blank the total; the total says it is over two of the three.
    expect((await b.get('/')).body).toMatch(
      /<dt>Produced<\/dt><dd>[\d,.]+ kWh<\/dd><dd><small>2 of 3 sites<\/small><\/dd>/,
    );
    const order = (html: string) =>
      [...html.matchAll(/<th scope="row"><a href="\/sites\/[^"]+"[^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(order((await b.get('/')).body)).toEqual(['Archive', 'Big Farm', 'Main Site']);
    const desc = await b.get('/?sort=produced&dir=desc', HX);
    expect(desc.body).not.toContain('<html');
    expect(desc.body).toMatch(/aria-sort="descending"><a [^>]*>Produced today/);
    expect(order(desc.body)).toEqual(['Big Farm', 'Main Site', 'Archive']);
    expect(order((await b.get('/?sort=produced&dir=asc')).body)).toEqual(['Main Site', 'Big Farm', 'Archive']);
  });

  it('When sites report power now, then the overview sums the power-gauge roles, leaves a stale reading out and says so', async () => {
    const far = await createSite(app, { name: 'Far Farm' });
    await addMember(app, far.id, w.viewer.id, 'viewer');
    const here = await createDevice(app, w.site.id, { name: 'PV', type: 'pv_array' });
    const there = await createDevice(app, far.id, { name: 'PV', type: 'pv_array' });
    const meter = await createDevice(app, w.site.id, { name: 'Meter', type: 'meter' });
    const power = (d: typeof here) => d.metrics.find((m) => m.key === 'power')!.id;
    const admin = (await app.services.auth.loadActor(w.admin.id))!;
    const now = Date.now();
    await app.services.readings.ingest(admin, [
      { metricId: power(here), timestamp: new Date(now - 30_000).toISOString(), value: 40 },
      { metricId: power(meter), timestamp: new Date(now - 30_000).toISOString(), value: -15 },
      // The world's battery on the main site, discharging.
      { metricId: w.metrics.find((m) => m.key === 'power')!.id, timestamp: new Date(now).toISOString(), value: 5 },
      // Ten minutes old at a one-minute interval: stale, not "now".
      { metricId: power(there), timestamp: new Date(now - 10 * 60_000).toISOString(), value: 99 },
    ]);
    const res = await (await signIn(app, w.viewer.email)).get('/');
    expect(res.body).toMatch(/<h2 id="power-title">Power now<\/h2>/);
    expect(res.body).toContain(
      '<dt>Production</dt><dd>40 kW</dd><dd><small>1 of 2 sites; no recent reading from the rest</small>',
    );
    // No consumption gauge: production + grid (< 0 exporting) + battery (> 0 discharging).
    expect(res.body).toContain('<dt>Consumption</dt><dd>30 kW</dd>');
    expect(res.body).toContain('<dt>Grid</dt><dd>-15 kW</dd>');
    // The table's power columns come from the same roles; the stale site has none now.
    const row = (name: string) => res.body.slice(res.body.indexOf(`>${name}</a>`)).split('</tr>')[0];
    expect(row('Main Site')).toMatch(/<td>40<\/td>\s*<td>-15<\/td>/);
    expect(row('Far Farm')).toMatch(/<td>–<\/td>\s*<td>–<\/td>/);
  });

  it('When a site has active alarms, then its row counts them and the table sorts by them', async () => {
    const other = await createSite(app, { name: 'Alarmed Farm' });
    await addMember(app, other.id, w.viewer.id, 'viewer');
    const battery = await createDevice(app, other.id, { name: 'Battery', type: 'battery' });
    const soc = battery.metrics.find((m) => m.key === 'soc')!;
    const admin = (await app.services.auth.loadActor(w.admin.id))!;
    await app.services.alarms.createForMetric(admin, soc.id, { condition: 'below', threshold: 10, severity: 'minor' });
    await app.services.readings.ingest(admin, [{ metricId: soc.id, timestamp: new Date().toISOString(), value: 5 }]);
    const b = await signIn(app, w.viewer.email);
    const res = await b.get('/?sort=alarms&dir=desc');
    expect(res.body).toMatch(/aria-sort="descending"><a [^>]*>Active alarms/);
    const first = res.body.slice(res.body.indexOf('<tbody>')).split('</tr>')[0];
    expect(first).toContain('>Alarmed Farm</a>');
    expect(first).toContain('aria-label="1 active alarm"');
  });

  it('When the overview is open, then it polls itself with its sort, and htmx gets the figures and the table without the page', async () => {
    const b = await signIn(app, w.viewer.email);
    const page = await b.get('/?sort=stale&dir=desc');
    expect(page.body).toMatch(
      /<div id="overview-body" hx-get="\/" hx-include="#overview-state" hx-trigger="every 10s"/,
    );
    expect(page.body).toContain('<input type="hidden" name="sort" value="stale">');
    const poll = await b.get('/?sort=stale&dir=desc', HX);
    expect(poll.headers.vary).toMatch(/HX-Request/);
    expect(poll.body).not.toContain('<html');
    expect(poll.body).not.toContain('<h1>');
    expect(poll.body).toContain('id="power-title"');
    expect(poll.body).toContain('id="overview-sites"');
    expect(poll.body).toContain('<input type="hidden" name="dir" value="desc">');
  });

  it('When the sort is not a column, then 400', async () => {
    expect((await (await signIn(app, w.viewer.email)).get('/?sort=secret')).statusCode).toBe(400);
  });
});
