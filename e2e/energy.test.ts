// The energy page as a person sees it, on a phone and a desktop, in light and dark mode: a year of
// counters on the Sevilla solar farm (inverters, grid meter), screenshots to look at, no CSP
// violation or script error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from '../src/time.js';
import { open, shot, signIn, start, type Harness } from './harness.js';

let h: Harness;
const STEP = 3 * HOUR_MS;

beforeAll(async () => {
  h = await start();
  const adminId = (await h.app.repos.users.findByEmailWithHash('admin@example.com'))!.id;
  const admin = (await h.app.services.auth.loadActor(adminId))!;
  const site = (await h.app.services.sites.list(admin, { q: 'Sevilla', limit: 1 })).items[0];
  const metrics = await h.app.services.metrics.siteLatest(admin, site.id);
  const id = (device: string, key: string) => metrics.find((m) => m.deviceName === device && m.key === key)!.id;
  const counters = {
    inv1: id('Central Inverter 1', 'energy'),
    inv2: id('Central Inverter 2', 'energy'),
    imp: id('Export Meter', 'import_energy'),
    exp: id('Export Meter', 'export_energy'),
  };
  const totals = { inv1: 0, inv2: 0, imp: 0, exp: 0 };
  let rows: { metricId: string; timestamp: string; value: number }[] = [];
  const end = Math.floor(Date.now() / STEP) * STEP;
  for (let t = end - 365 * DAY_MS; t <= end; t += STEP) {
    const hour = new Date(t).getUTCHours() + 1;
    const season = 0.6 + 0.4 * Math.cos(((new Date(t).getUTCMonth() - 5.5) / 12) * 2 * Math.PI);
    const weather = 0.7 + 0.3 * Math.sin(t / (DAY_MS * 2.7));
    const sun = Math.max(0, Math.sin((Math.PI * (hour - 6)) / 12)) * season * weather;
    const produced = 3 * 4000 * sun;
    totals.inv1 += produced;
    totals.inv2 += produced * 0.9;
    totals.exp += produced * 1.9 * 0.7;
    totals.imp += sun > 0.2 ? 100 : 1500;
    const timestamp = new Date(t).toISOString();
    for (const [k, metricId] of Object.entries(counters))
      rows.push({ metricId, timestamp, value: Math.round(totals[k as keyof typeof totals] * 1000) / 1000 });
    if (rows.length >= 4000) {
      await h.app.services.readings.ingest(admin, rows);
      rows = [];
    }
  }
  if (rows.length) await h.app.services.readings.ingest(admin, rows);
}, 120_000);
afterAll(() => h?.close());

describe('Energy page', { timeout: 120_000 }, () => {
  for (const colorScheme of ['light', 'dark'] as const)
    for (const width of [1280, 375]) {
      it(`When the admin opens the Sevilla energy page at ${width} px in ${colorScheme} mode, then figures, ratios and both bar charts show`, async () => {
        const { page, problems } = await open(h, width, { colorScheme });
        await signIn(page, 'admin@example.com');
        await page.getByRole('link', { name: 'Sevilla Solar Farm' }).click();
        await page.getByRole('link', { name: /^Energy/ }).click();
        await page.getByRole('heading', { level: 1, name: 'Energy' }).waitFor();
        await expect(page.getByRole('heading', { level: 2, name: 'Today' }).count()).resolves.toBe(1);
        await expect(page.getByRole('img', { name: /Last 30 days/ }).count()).resolves.toBe(1);
        await expect(page.getByRole('img', { name: /Last 12 months/ }).count()).resolves.toBe(1);
        await expect(page.getByText('Self-sufficiency this month').count()).resolves.toBe(1);
        await expect(page.getByRole('img', { name: /Where today's energy went/ }).count()).resolves.toBe(1);
        await expect(
          page
            .getByRole('listitem')
            .filter({ hasText: /^Production to grid: / })
            .count(),
        ).resolves.toBe(1);
        // The page fits the phone: nothing scrolls sideways.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        // Bars take their colours from the scheme's CSS variables.
        const fill = await page
          .locator('rect.e-production')
          .first()
          .evaluate((r) => getComputedStyle(r).fill);
        expect(fill).toBe(colorScheme === 'dark' ? 'rgb(255, 193, 7)' : 'rgb(230, 159, 0)');
        await shot(page, `energy-${width}-${colorScheme}`);
        expect(problems).toEqual([]);
        await page.context().close();
      });
    }

  for (const colorScheme of ['light', 'dark'] as const)
    for (const width of [1280, 375])
      it(`When the admin signs in at ${width} px in ${colorScheme} mode, then the overview shows power now, the totals and the site table, and a column sorts`, async () => {
        const { page, problems } = await open(h, width, { colorScheme });
        await signIn(page, 'admin@example.com');
        await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
        await expect(page.getByRole('heading', { level: 2, name: 'Power now' }).count()).resolves.toBe(1);
        await expect(page.getByRole('heading', { level: 2, name: 'This month' }).count()).resolves.toBe(1);
        // The second click must find the link the first one's answer put there (it now sorts descending).
        const sortedBy = (dir: string) =>
          page.getByRole('table', { name: `Your sites, sorted by Produced today (kWh), ${dir}` });
        await page.getByRole('link', { name: /^Produced today/ }).click();
        await sortedBy('ascending').waitFor();
        await page.getByRole('link', { name: /^Produced today/ }).click();
        await sortedBy('descending').waitFor();
        await page.waitForURL(/sort=produced&dir=desc/);
        await expect(page.locator('tbody tr').first().textContent()).resolves.toMatch(/Sevilla/);
        // The page fits the phone: the table scrolls inside its box, and says so.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        await expect(page.getByText('Scroll the table sideways').isVisible()).resolves.toBe(width < 768);
        await shot(page, `overview-${width}-${colorScheme}`);
        expect(problems).toEqual([]);
        await page.context().close();
      });

  it('When a reading arrives, then the overview shows the new power now without a reload', async () => {
    const { page, problems } = await open(h);
    await signIn(page, 'admin@example.com');
    const origin = await page.evaluate(() => performance.timeOrigin);
    const admin = (await h.app.services.auth.loadActor(
      (await h.app.repos.users.findByEmailWithHash('admin@example.com'))!.id,
    ))!;
    const site = (await h.app.services.sites.list(admin, { q: 'Berlin', limit: 1 })).items[0];
    const meter = (await h.app.services.metrics.siteLatest(admin, site.id)).find((m) => m.energyRole === 'grid_power')!;
    await h.app.services.readings.ingest(admin, [
      { metricId: meter.id, timestamp: new Date().toISOString(), value: 123.25 },
    ]);
    const row = page.getByRole('row').filter({ hasText: site.name });
    await expect.poll(() => row.textContent(), { timeout: 20_000, interval: 500 }).toContain('123.25');
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(origin);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
