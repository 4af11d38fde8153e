/// <reference lib="dom" />
// What a first-time user looks for on a phone and a desktop: a device's chart window kept in the
// address bar (reload, shared link), its aggregation, its CSV, live points; /sites following new
// readings; what a battery's and a meter's sign mean; a header that leaves room for the page.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, shot, signIn, start, type Harness } from './harness.js';

let h: Harness;
let tech: Awaited<ReturnType<Harness['app']['services']['auth']['loadActor']>>;

/** Readings on the Rotterdam site's `device`, `key`, at these many minutes ago. */
async function write(device: string, key: string, points: { minutesAgo: number; value: number }[]) {
  const site = (await h.app.services.sites.list(tech!, { q: 'Rotterdam', limit: 1 })).items[0];
  const metric = (await h.app.services.metrics.siteLatest(tech!, site.id)).find(
    (m) => m.deviceName === device && m.key === key,
  )!;
  await h.app.services.readings.ingest(
    tech!,
    points.map((p) => ({
      metricId: metric.id,
      timestamp: new Date(Date.now() - p.minutesAgo * 60_000).toISOString(),
      value: p.value,
    })),
  );
}

beforeAll(async () => {
  h = await start();
  tech = (await h.app.services.auth.loadActor((await h.app.repos.users.findByEmailWithHash('tech@example.com'))!.id))!;
  const hour = Array.from({ length: 60 }, (_, i) => ({ minutesAgo: 60 - i, value: 400 * Math.sin(i / 8) }));
  await write('Harbour Battery', 'power', hour);
  await write(
    'Harbour Battery',
    'soc',
    hour.map((p, i) => ({ ...p, value: 40 + i / 2 })),
  );
}, 60_000);
afterAll(() => h?.close());

const status = (page: Page) => page.locator('#chart-status');

async function openBattery(page: Page, query = '') {
  await page.getByRole('link', { name: 'Rotterdam Harbour Microgrid' }).click();
  await page.getByRole('link', { name: 'Harbour Battery' }).click();
  await page.getByRole('heading', { level: 1, name: 'Harbour Battery' }).waitFor();
  if (query) await page.goto(new URL(page.url()).pathname + query);
  await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toMatch(/^Showing /);
}

describe('Device charts', { timeout: 120_000 }, () => {
  for (const width of [1280, 375]) {
    it(`When a technician at ${width} px picks the last hour and the maximum, then the address keeps both through a reload, the CSV link asks for that window, and the sign of battery power is explained`, async () => {
      const { page, problems } = await open(h, width);
      await signIn(page, 'tech@example.com');
      await openBattery(page);
      await page.getByRole('combobox', { name: 'Window' }).selectOption({ label: 'Last hour' });
      await page.getByRole('combobox', { name: 'Aggregation' }).selectOption({ label: 'Maximum' });
      await expect.poll(() => new URL(page.url()).search).toBe('?range=1h&agg=max');
      await expect.poll(() => page.locator('[data-chart-caption]').first().textContent()).toMatch(/maximum per/);

      await page.reload();
      await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toMatch(/^Showing /);
      expect(await page.getByRole('combobox', { name: 'Window' }).inputValue()).toBe('1h');
      expect(await page.getByRole('combobox', { name: 'Aggregation' }).inputValue()).toBe('max');

      const csv = page.getByRole('link', { name: 'Download Power as CSV' });
      await expect.poll(() => csv.getAttribute('href')).toMatch(/format=csv/);
      const href = new URL((await csv.getAttribute('href'))!, h.url);
      expect(href.searchParams.get('agg')).toBe('max');
      const span = Date.parse(href.searchParams.get('to')!) - Date.parse(href.searchParams.get('from')!);
      expect(span).toBe(3_600_000);
      const res = await page.request.get(href.toString());
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toMatch(/text\/csv/);

      const powerChart = page.getByRole('figure').filter({ has: page.getByRole('heading', { name: 'Power (kW)' }) });
      expect(await powerChart.textContent()).toContain('Positive while discharging');
      await shot(page, `device-charts-${width}`);
      expect(problems).toEqual([]);
      await page.context().close();
    });
  }

  it('When a reading arrives while the window ends now, then the device chart takes it in without a reload', async () => {
    const { page, problems } = await open(h);
    await signIn(page, 'tech@example.com');
    await openBattery(page, '?range=1h&agg=max');
    const origin = await page.evaluate(() => performance.timeOrigin);
    const power = page.getByRole('img', { name: /^Chart of Power/ });
    const last = () => power.getAttribute('data-last-value');
    await expect.poll(last).not.toBe('1234');
    await write('Harbour Battery', 'power', [{ minutesAgo: 0, value: 1234 }]);
    await expect.poll(last, { timeout: 25_000, interval: 500 }).toBe('1234');
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(origin);
    expect(await page.getByText('Live: the charts follow new readings').count()).toBe(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('The sites list', { timeout: 60_000 }, () => {
  it('When a reading arrives, then /sites shows the new generation without a reload', async () => {
    const { page, problems } = await open(h);
    await signIn(page, 'tech@example.com');
    await page.goto('/sites');
    const rotterdam = page.getByRole('article', { name: 'Rotterdam Harbour Microgrid' });
    const origin = await page.evaluate(() => performance.timeOrigin);
    await write('Warehouse A Rooftop PV', 'power', [{ minutesAgo: 0, value: 321.5 }]);
    await expect.poll(() => rotterdam.textContent(), { timeout: 20_000, interval: 500 }).toContain('321.5 kW');
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(origin);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('The header on a phone', { timeout: 60_000 }, () => {
  it('When an admin opens the main pages at 375 px, then the header with its navigation is at most 120 px high and nothing is wider than the screen', async () => {
    const { page, problems } = await open(h, 375);
    await signIn(page, 'admin@example.com');
    const header = (await page.getByRole('banner').boundingBox())!;
    expect(header.height).toBeLessThanOrEqual(120);
    for (const path of ['/', '/sites', '/alarms', '/subscriptions', '/admin', '/account/tokens']) {
      await page.goto(path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(overflow, path).toBeLessThanOrEqual(375);
    }
    await page.goto('/sites');
    await shot(page, 'header-375');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
