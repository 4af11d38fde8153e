// Every main page at phone and desktop width, saved to test-results/screenshots/ for people to look at,
// and no CSP violation or script error on any of them (Swagger UI at /docs included).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, shot, signIn, start, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await start();
  // An hour of power readings, so the device chart has something to draw.
  const admin = (await h.app.services.auth.loadActor(
    (await h.app.repos.users.findByEmailWithHash('admin@example.com'))!.id,
  ))!;
  const site = (await h.app.services.sites.list(admin, { q: 'Rotterdam', limit: 1 })).items[0];
  const metrics = (await h.app.services.metrics.siteLatest(admin, site.id)).filter(
    (m) => m.deviceName === 'Harbour Battery',
  );
  const readings = metrics.flatMap((m) =>
    Array.from({ length: 60 }, (_, i) => ({
      metricId: m.id,
      timestamp: new Date(Date.now() - (59 - i) * 60_000).toISOString(),
      value: m.key === 'soc' ? 40 + i / 2 : 500 * Math.sin(i / 9),
    })),
  );
  await h.app.services.readings.ingest(admin, readings);
}, 60_000);
afterAll(() => h?.close());

describe('Main pages', { timeout: 120_000 }, () => {
  for (const [label, width] of [
    ['375', 375],
    ['desktop', 1280],
  ] as const) {
    it(`When the admin visits every main page at ${label} px, then each renders without CSP violations`, async () => {
      const { page, problems } = await open(h, width);
      await signIn(page, 'admin@example.com');
      await page.goto('/sites');
      await shot(page, `sites-${label}`);
      await page.getByRole('link', { name: 'Rotterdam Harbour Microgrid' }).click();
      await page.getByRole('heading', { level: 1, name: 'Rotterdam Harbour Microgrid' }).waitFor();
      await shot(page, `site-${label}`);
      await page.getByRole('link', { name: 'Harbour Battery' }).click();
      await page.getByRole('heading', { level: 1, name: 'Harbour Battery' }).waitFor();
      await expect
        .poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 })
        .toMatch(/Showing|unavailable/);
      await shot(page, `device-${label}`);
      await page.getByRole('button', { name: 'Add device' }).count();
      // The site's own link (/sites/<id>); other links on the page name the site too.
      const siteHrefs = await page
        .getByRole('link', { name: 'Rotterdam Harbour Microgrid' })
        .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
      await page.goto(siteHrefs.find((h) => /^\/sites\/[^/?#]+$/.test(h))! + '/devices/new');
      await page.getByRole('heading', { level: 1, name: 'Add a device' }).waitFor();
      await shot(page, `device-new-${label}`);
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.getByLabel('Token name').fill('screenshot');
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('button', { name: 'Copy token' }).waitFor();
      await shot(page, `tokens-${label}`);
      // On a phone the table's header is hidden; each value carries its column's name instead.
      const expiresLabel = await page
        .locator('td[data-label="Expires"]')
        .first()
        .evaluate((td) => getComputedStyle(td, '::before').content);
      expect(expiresLabel).toBe(width < 768 ? '"Expires: "' : 'none');
      await page.getByRole('link', { name: 'Admin' }).click();
      await page.getByRole('heading', { level: 1, name: 'Administration' }).waitFor();
      await shot(page, `admin-${label}`);
      await page.getByRole('link', { name: 'Berlin Office Battery' }).click();
      await shot(page, `admin-site-${label}`);
      await page.goto('/no/such/page');
      await shot(page, `not-found-${label}`);
      expect(problems).toEqual([]);
      await page.context().close();
    });
  }

  it('When Swagger UI is opened, then it loads without CSP violations', async () => {
    const { page, problems } = await open(h);
    await page.goto('/docs');
    await page.getByText('Sitewatt API').first().waitFor();
    // Sitewatt's name and logo, not Swagger's and Fastify's.
    expect(await page.title()).toBe('Sitewatt API');
    const logo = page.locator('.topbar img');
    await logo.waitFor();
    const src = (await logo.getAttribute('src'))!;
    expect(src).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(src.split(',')[1], 'base64').toString()).toContain('>Sitewatt API</text>');
    expect(await page.locator('link[rel="icon"]').first().getAttribute('type')).toBe('image/svg+xml');
    await shot(page, 'docs-desktop');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
