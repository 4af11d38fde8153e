/// <reference lib="dom" />
// A technician builds a subscription across two sites, reads its chart, changes the window and
// the aggregation, downloads exactly that as CSV and watches a live reading arrive.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, shot, signIn, start, type Harness } from './harness.js';

let h: Harness;
const SOC = 'Rotterdam Harbour Microgrid / Harbour Battery / State of charge (%)';
const BATTERY_POWER = 'Rotterdam Harbour Microgrid / Harbour Battery / Power (kW)';
const TURBINE = 'Alpine Wind Park / Turbine WTG-01 / Power (kW)';
let socId = '';

/** The technician's actor and the id of a metric named by its site, device and key. */
async function metricId(site: string, device: string, key: string) {
  const tech = (await h.app.services.auth.loadActor(
    (await h.app.repos.users.findByEmailWithHash('tech@example.com'))!.id,
  ))!;
  const s = (await h.app.services.sites.list(tech, { q: site, limit: 1 })).items[0];
  return {
    tech,
    id: (await h.app.services.metrics.siteLatest(tech, s.id)).find((m) => m.deviceName === device && m.key === key)!.id,
  };
}

beforeAll(async () => {
  h = await start();
  // A week of hourly readings and two hours of minute readings, so every window has something to draw.
  const [soc, power, turbine] = await Promise.all([
    metricId('Rotterdam', 'Harbour Battery', 'soc'),
    metricId('Rotterdam', 'Harbour Battery', 'power'),
    metricId('Alpine', 'Turbine WTG-01', 'power'),
  ]);
  socId = soc.id;
  const now = Date.now();
  const times = [
    ...Array.from({ length: 168 }, (_, i) => now - (168 - i) * 3_600_000),
    ...Array.from({ length: 120 }, (_, i) => now - (120 - i) * 60_000),
  ];
  const readings = times.flatMap((t, i) => [
    { metricId: soc.id, timestamp: new Date(t).toISOString(), value: 50 + 40 * Math.sin(i / 20) },
    { metricId: power.id, timestamp: new Date(t).toISOString(), value: 800 * Math.cos(i / 15) },
    { metricId: turbine.id, timestamp: new Date(t).toISOString(), value: 1500 + 1200 * Math.sin(i / 7) },
  ]);
  await h.app.services.readings.ingest(soc.tech, readings);
}, 60_000);
afterAll(() => h?.close());

const status = (page: Page) => page.locator('#subscription-chart-status');
// The subscription's zone is its first metric's site's (Alpine, first in the picker), and the status line names it.
const chartReady = (page: Page) =>
  expect
    .poll(() => status(page).textContent(), { timeout: 10_000 })
    .toMatch(/^Showing 3 metrics, .* \(Europe\/Vienna\), /);

describe('Subscriptions in the browser', { timeout: 120_000 }, () => {
  it('When a technician builds a subscription across two sites, then the chart draws, the window changes and the CSV matches', async () => {
    const { page, problems } = await open(h);
    await signIn(page, 'tech@example.com');
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your subscriptions' }).waitFor();
    await page.getByRole('button', { name: 'New subscription' }).click();
    await page.getByRole('heading', { level: 1, name: 'New subscription' }).waitFor();

    // The filter narrows the list as you type; checked boxes stay checked when hidden.
    const filter = page.getByLabel('Filter metrics');
    await filter.fill('harbour battery');
    await expect.poll(() => page.getByRole('checkbox', { name: TURBINE }).isVisible()).toBe(false);
    await page.getByRole('checkbox', { name: SOC }).check();
    await page.getByRole('checkbox', { name: BATTERY_POWER }).check();
    // A unit matches whole: "kW" finds the meter's power, not its kWh counters; "kWh" the reverse.
    const meter = 'Rotterdam Harbour Microgrid / Grid Meter /';
    await filter.fill('grid meter kW');
    await expect
      .poll(() => page.getByRole('checkbox', { name: `${meter} Import energy (kWh)` }).isVisible())
      .toBe(false);
    expect(await page.getByRole('checkbox', { name: `${meter} Power (kW)` }).isVisible()).toBe(true);
    await filter.fill('grid meter kWh');
    await expect.poll(() => page.getByRole('checkbox', { name: `${meter} Power (kW)` }).isVisible()).toBe(false);
    expect(await page.getByRole('checkbox', { name: `${meter} Import energy (kWh)` }).isVisible()).toBe(true);
    await filter.fill('WTG-01 power');
    await expect.poll(() => page.getByRole('checkbox', { name: SOC }).isVisible()).toBe(false);
    await page.getByRole('checkbox', { name: TURBINE }).focus();
    await page.keyboard.press('Space');
    expect(await page.getByRole('status').filter({ hasText: 'selected' }).textContent()).toContain('3 of');
    await shot(page, 'subscription-new-desktop');

    // Without a name: 422, the message beside the field, the selection kept.
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await page.getByText('Name is required').waitFor();
    expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'subscription-form-error-desktop');
    expect(await page.getByRole('checkbox', { name: TURBINE }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: SOC }).isChecked()).toBe(true);
    await page.getByLabel('Name', { exact: true }).fill('Batteries and wind');
    await page.getByRole('button', { name: 'Create subscription' }).click();
    await page.getByRole('heading', { level: 1, name: 'Batteries and wind' }).waitFor();

    // One chart (two units: % and kW), three series with data.
    await chartReady(page);
    const chart = page.getByRole('img', { name: /^Chart of / });
    expect(await chart.count()).toBe(1);
    expect(await chart.locator('canvas').count()).toBe(1);
    expect(await chart.locator('.u-legend .u-series').count()).toBe(4); // the time axis and three metrics
    expect(await page.locator('[data-subscription-chart]').getAttribute('data-series-count')).toBe('3');
    expect(Number(await page.locator('[data-subscription-chart]').getAttribute('data-point-count'))).toBeGreaterThan(
      100,
    );
    expect(
      await page
        .getByRole('region', { name: 'Metrics' })
        .getByRole('row', { name: /Alpine Wind Park \/ Turbine WTG-01 \/ Power/ })
        .textContent(),
    ).toContain('fresh');
    await shot(page, 'subscription-show-desktop');

    // Another window and aggregation: the address and the CSV link follow.
    await page.getByLabel('Window', { exact: true }).selectOption('7d');
    await expect
      .poll(() => status(page).textContent(), { timeout: 10_000 })
      .toMatch(/Showing 3 metrics.*per (15 min|hour)\./);
    await page.getByLabel('Aggregation', { exact: true }).selectOption('max');
    await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toMatch(/maximum per (15 min|hour)\./);
    expect(page.url()).toContain('range=7d&agg=max');
    const bucket = /per (15 min|hour)\.$/.exec((await status(page).textContent())!)![1];
    const interval = bucket === 'hour' ? '1h' : '15m';
    const href = new URL((await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href'))!, h.url);
    expect(Object.fromEntries(href.searchParams)).toMatchObject({ format: 'csv', agg: 'max', interval });
    const days = (Date.parse(href.searchParams.get('to')!) - Date.parse(href.searchParams.get('from')!)) / 86_400_000;
    expect(days).toBeCloseTo(7, 3);
    await shot(page, 'subscription-week-desktop');
    // A count of readings is in readings, not in the metrics' units: one axis for all three.
    await page.getByLabel('Aggregation', { exact: true }).selectOption('count');
    await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toMatch(/per (15 min|hour)\./);
    await expect
      .poll(() =>
        page
          .getByRole('img', { name: /^Chart of / })
          .locator('.u-legend .u-series')
          .allTextContents(),
      )
      .toEqual(expect.arrayContaining([expect.stringContaining('(readings)')]));
    expect(
      await page
        .getByRole('img', { name: /^Chart of / })
        .locator('.u-legend')
        .textContent(),
    ).not.toMatch(/\((kW|%)\)/);
    await page.getByLabel('Aggregation', { exact: true }).selectOption('max');
    await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toMatch(/maximum per (15 min|hour)\./);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\r\n');
    // Columns in the form's order (sites alphabetically); the header names both sites.
    expect(lines[0].split(',').sort()).toEqual([
      `${TURBINE} [max]`,
      `${BATTERY_POWER} [max]`,
      `${SOC} [max]`,
      'timestamp',
    ]);
    expect(lines.length).toBeGreaterThan(100);

    // A live reading: the table shows it and the chart re-reads its tail, without a reload.
    await expect.poll(() => page.locator('#subscription-live').textContent(), { timeout: 10_000 }).toContain('Live');
    const origin = await page.evaluate(() => performance.timeOrigin);
    const tech = (await metricId('Rotterdam', 'Harbour Battery', 'soc')).tech;
    await h.app.services.readings.ingest(tech, [{ metricId: socId, timestamp: new Date().toISOString(), value: 99.5 }]);
    await expect
      .poll(
        () =>
          page
            .getByRole('region', { name: 'Metrics' })
            .getByRole('row', { name: /Harbour Battery \/ State of charge/ })
            .textContent(),
        { timeout: 10_000 },
      )
      .toContain('99.5');
    await expect
      .poll(() => page.locator('[data-subscription-chart]').getAttribute('data-live-updates'), { timeout: 10_000 })
      .toBe('1');
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(origin);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByRole('link', { name: 'Batteries and wind', exact: true }).waitFor();
    await shot(page, 'subscription-list-desktop');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('When the list, form and chart are seen on a phone, then they fit and work without CSP violations', async () => {
    const { page, problems } = await open(h, 375);
    await signIn(page, 'tech@example.com');
    await page.goto('/subscriptions');
    await shot(page, 'subscription-list-375');
    await page.getByRole('link', { name: 'Batteries and wind', exact: true }).click();
    await chartReady(page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(375);
    await shot(page, 'subscription-show-375');
    await page.getByRole('button', { name: 'Edit subscription' }).click();
    await page.getByLabel('Filter metrics').fill('turbine');
    await shot(page, 'subscription-edit-375');
    await page.goto('/subscriptions');
    await page.getByRole('link', { name: 'Delete Batteries and wind' }).click();
    await page.getByRole('button', { name: 'Yes, delete this subscription' }).click();
    await page.getByText('You have no subscriptions yet').waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('When a subscription has three units, then a desktop draws them on one chart with three axes and a phone on a chart each', async () => {
    const [soc, power, wind] = await Promise.all([
      metricId('Rotterdam', 'Harbour Battery', 'soc'),
      metricId('Rotterdam', 'Harbour Battery', 'power'),
      metricId('Alpine', 'Turbine WTG-01', 'wind_speed'),
    ]);
    const sub = await h.app.services.subscriptions.create(soc.tech, {
      name: 'Three units',
      metricIds: [soc.id, power.id, wind.id],
    });
    for (const [width, charts] of [
      [1280, 1],
      [375, 3],
    ] as const) {
      const { page, problems } = await open(h, width);
      await signIn(page, 'tech@example.com');
      await page.goto(`/subscriptions/${sub.id}`);
      await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toMatch(/^Showing 3 metrics, /);
      const chart = page.getByRole('img', { name: /^Chart of / });
      expect(await chart.count()).toBe(charts);
      // Every chart's y-axes (uPlot draws one per unit, plus the time axis) and its plot fit the screen.
      expect(await chart.first().locator('.u-axis').count()).toBe(1 + 3 / charts);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await shot(page, `subscription-three-units-${width === 375 ? '375' : 'desktop'}`);
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });
});
