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
      [...html.matchAll(/<th scope="row"><a href="\/sites\/[^"]+">([^<]+)</g)].map((m) => m[1]);
    expect(order((await b.get('/')).body)).toEqual(['Archive', 'Big Farm', 'Main Site']);
    const desc = await b.get('/?sort=produced&dir=desc', HX);
    expect(desc.body).not.toContain('<html');
    expect(desc.body).toMatch(/aria-sort="descending"><a [^>]*>Produced today/);
    expect(order(desc.body)).toEqual(['Big Farm', 'Main Site', 'Archive']);
    expect(order((await b.get('/?sort=produced&dir=asc')).body)).toEqual(['Main Site', 'Big Farm', 'Archive']);
  });

  it('When the sort is not a column, then 400', async () => {
    expect((await (await signIn(app, w.viewer.email)).get('/?sort=secret')).statusCode).toBe(400);
  });
});
