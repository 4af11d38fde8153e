/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, shot, signIn, start, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await start();
}, 60_000);
afterAll(() => h?.close());

async function openSite(page: Page, name: string) {
  await page.getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Readings written the way devices send them, through the readings service. */
async function writeReadings(metricKey: string, deviceName: string, values: { minutesAgo: number; value: number }[]) {
  const admin = (await h.app.services.auth.loadActor(
    (await h.app.repos.users.findByEmailWithHash('admin@example.com'))!.id,
  ))!;
  const site = (await h.app.services.sites.list(admin, { q: 'Rotterdam', limit: 1 })).items[0];
  const metric = (await h.app.services.metrics.siteLatest(admin, site.id)).find(
    (m) => m.deviceName === deviceName && m.key === metricKey,
  )!;
  await h.app.services.readings.ingest(
    admin,
    values.map((v) => ({
      metricId: metric.id,
      timestamp: new Date(Date.now() - v.minutesAgo * 60_000).toISOString(),
      value: v.value,
    })),
  );
}

describe('Devices in the browser', { timeout: 90_000 }, () => {
  it('When a technician adds a device with an invalid field, fixes it, edits and deletes it, then each step shows', async () => {
    const { page, problems } = await open(h);
    await signIn(page, 'tech@example.com');
    await openSite(page, 'Rotterdam Harbour Microgrid');
    await page.getByRole('button', { name: 'Add device' }).click();
    await page.getByLabel('Name', { exact: true }).fill('E2E Inverter');
    await page.getByLabel('Type').selectOption('inverter');
    await expect.poll(() => page.getByLabel('Metric name').first().inputValue()).toBe('AC power');
    await page.getByLabel('Key').first().fill('AC Power');
    await page.getByRole('button', { name: 'Create device' }).click();
    const error = page.getByText('Key must start with a letter');
    await error.waitFor();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('E2E Inverter');
    expect(await page.getByLabel('Key').first().getAttribute('aria-invalid')).toBe('true');
    // Focus goes to the field in error, which brings it into view on a long form.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-invalid'))).toBe('true');
    await shot(page, 'device-form-error-desktop');
    await page.getByLabel('Key').first().fill('ac_power');
    await page.getByRole('button', { name: 'Create device' }).click();
    await page.getByRole('heading', { level: 1, name: 'E2E Inverter' }).waitFor();
    // Each step says what it did.
    await page.getByRole('status').filter({ hasText: 'E2E Inverter is added.' }).waitFor();

    await page.getByRole('button', { name: 'Edit device' }).click();
    await page.getByLabel('Name', { exact: true }).fill('E2E Inverter Renamed');
    expect(await page.getByLabel('Metric name').first().inputValue()).toBe('AC power');
    await page.getByText('Removing a metric deletes its readings').waitFor();
    await page.getByLabel('Metric name').first().fill('AC output');
    await page.getByRole('button', { name: 'Add metric' }).click();
    await expect.poll(() => page.getByLabel('Key').count()).toBe(3);
    await page.getByLabel('Key').last().fill('temperature');
    await page.getByLabel('Metric name').last().fill('Cabinet temperature');
    await page.getByLabel('Unit').last().fill('°C');
    await shot(page, 'device-edit-metrics-desktop');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'E2E Inverter Renamed' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Your changes to E2E Inverter Renamed are saved.' }).waitFor();
    const metricsTable = page.getByRole('region', { name: 'Metrics' });
    expect(await metricsTable.getByRole('rowheader').allTextContents()).toEqual([
      'AC output',
      'Energy produced',
      'Cabinet temperature',
    ]);
    await page.getByRole('heading', { level: 3, name: 'Cabinet temperature (°C)' }).waitFor();
    const history = await page.getByRole('region', { name: 'Change history' }).textContent();
    expect(history).toContain('E2E Inverter → E2E Inverter Renamed');
    expect(history).toContain('AC output (ac_power)');

    await page.getByRole('button', { name: 'Delete device' }).click();
    await page.getByText('and all their readings').waitFor();
    await page.getByRole('button', { name: 'Yes, delete this device' }).click();
    await page.getByRole('heading', { level: 1, name: 'Rotterdam Harbour Microgrid' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'The device is deleted' }).waitFor();
    await shot(page, 'device-deleted-desktop');
    expect(await page.getByRole('link', { name: 'E2E Inverter Renamed' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('When a viewer looks around, then there is no way to edit', async () => {
    const { page, problems } = await open(h);
    await signIn(page, 'viewer@example.com');
    await openSite(page, 'Rotterdam Harbour Microgrid');
    expect(await page.getByRole('button', { name: 'Add device' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Harbour Battery' }).click();
    await page.getByRole('heading', { level: 1, name: 'Harbour Battery' }).waitFor();
    // The status line names the window, in the site's zone (a day bucket starts at the site's
    // midnight); each chart names its own aggregation. A refused window says why.
    const chartStatus = page.locator('#chart-status');
    await expect
      .poll(() => chartStatus.textContent(), { timeout: 10_000 })
      .toMatch(/^Showing .* \(Europe\/Amsterdam\)\.$/);
    // A zone this browser does not know (the server's list may be newer) falls back to the browser's, unnamed.
    const fallback = await page.evaluate(() => {
      const s = (
        window as unknown as {
          Sitewatt: { span: (a: Date, b: Date, tz: string) => string; tzDate: (tz: string) => unknown };
        }
      ).Sitewatt;
      return {
        span: s.span(new Date(0), new Date(0), 'Mars/Olympus_Mons'),
        tzDate: s.tzDate('Mars/Olympus_Mons') ?? null,
        known: typeof s.tzDate('Europe/Amsterdam'),
      };
    });
    expect(fallback).toEqual({ span: expect.not.stringContaining('Mars'), tzDate: null, known: 'function' });
    await page.locator('#chart-range').selectOption('custom');
    await page.locator('#chart-from').fill('2001-01-01T00:00');
    await page.locator('#chart-to').fill('2026-01-01T00:00');
    await page.locator('#chart-window').getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => chartStatus.textContent(), { timeout: 10_000 }).toMatch(/longer than 10 years/);
    expect(await page.getByRole('button', { name: /Edit|Delete/ }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Change history' }).count()).toBe(0);
    const res = await page.goto(page.url().replace(/\/devices\/.*/, '/sites/') + 'x/devices/new');
    expect(res?.status()).toBe(404);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('When a reading arrives, then the site page shows it without a reload', async () => {
    const { page, problems } = await open(h);
    await signIn(page, 'viewer@example.com');
    await openSite(page, 'Rotterdam Harbour Microgrid');
    const before = await page.evaluate(() => performance.timeOrigin);
    await writeReadings('soc', 'Harbour Battery', [{ minutesAgo: 0, value: 77.7 }]);
    const battery = page.getByRole('article', { name: 'Harbour Battery' });
    await expect
      .poll(() => battery.getByRole('row', { name: /State of charge/ }).textContent(), {
        timeout: 15_000,
        interval: 500,
      })
      .toContain('77.7');
    expect(await battery.getByRole('row', { name: /State of charge/ }).textContent()).toContain('fresh');
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(before);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
