/// <reference lib="dom" />
// The charts as a person abroad with a dark system theme sees them: labels that stand out from the
// page in either scheme (and after it changes), the site's times written one way (24-hour, day
// before month, the zone named), and each chart saying what it aggregates per which bucket.
// Every text a chart draws on its canvas is recorded with the colour it was drawn in.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, shot, signIn, start, type Harness } from './harness.js';

let h: Harness;
let subscriptionId = '';

beforeAll(async () => {
  h = await start();
  const tech = (await h.app.services.auth.loadActor(
    (await h.app.repos.users.findByEmailWithHash('tech@example.com'))!.id,
  ))!;
  const site = (await h.app.services.sites.list(tech, { q: 'Rotterdam', limit: 1 })).items[0];
  const metrics = (await h.app.services.metrics.siteLatest(tech, site.id)).filter((m) =>
    ['Harbour Battery', 'Grid Meter'].includes(m.deviceName),
  );
  // Two hours of minute readings: gauges wave, counters climb.
  const now = Date.now();
  const readings = metrics.flatMap((m, k) =>
    Array.from({ length: 120 }, (_, i) => ({
      metricId: m.id,
      timestamp: new Date(now - (119 - i) * 60_000).toISOString(),
      value:
        m.kind === 'counter'
          ? 1000 + i * (2 + k)
          : m.unit === '%'
            ? 60 + 30 * Math.sin(i / 15)
            : 300 + 200 * Math.sin(i / (9 + k)),
    })),
  );
  await h.app.services.readings.ingest(tech, readings);
  const pick = (device: string, key: string) => metrics.find((m) => m.deviceName === device && m.key === key)!.id;
  subscriptionId = (
    await h.app.services.subscriptions.create(tech, {
      name: 'Harbour energy',
      metricIds: [
        pick('Harbour Battery', 'power'),
        pick('Harbour Battery', 'soc'),
        pick('Grid Meter', 'import_energy'),
      ],
    })
  ).id;
}, 60_000);
afterAll(() => h?.close());

interface Drawn {
  text: string;
  fill: string;
}

/** Records every fillText on a canvas (what uPlot writes: axis values and labels) with its colour. */
async function recordCanvasText(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { drawn: Drawn[] };
    w.drawn = [];
    const fillText = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (text, x, y, maxWidth) {
      w.drawn.push({ text: String(text), fill: String(this.fillStyle) });
      return fillText.call(this, text, x, y, maxWidth);
    };
  });
}

const drawnSince = (page: Page, from = 0) =>
  page.evaluate((n) => (window as unknown as { drawn: Drawn[] }).drawn.slice(n), from);

/** The page's background, as the person sees it behind the charts. */
const background = (page: Page) =>
  page.evaluate(() =>
    [document.body, document.documentElement]
      .map((el) => getComputedStyle(el).backgroundColor)
      .find((c) => !/rgba\(0, 0, 0, 0\)|transparent/.test(c)),
  );

/** WCAG contrast ratio of two CSS colours (#rrggbb, rgb() or rgba()). */
function contrast(a: string, b: string): number {
  const rgb = (c: string) =>
    c.startsWith('#')
      ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16))
      : c
          .match(/[\d.]+/g)!
          .slice(0, 3)
          .map(Number);
  const lum = (c: string) => {
    const [r, g, bl] = rgb(c).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The lowest contrast of any text drawn on a chart against the page's background. */
async function worstContrast(page: Page, drawn: Drawn[]) {
  const bg = (await background(page))!;
  return Math.min(...drawn.map((d) => contrast(d.fill, bg)));
}

/** The number of texts drawn once no chart has drawn for 600 ms. */
async function quiet(page: Page) {
  let count = -1;
  for (;;) {
    const now = (await drawnSince(page)).length;
    if (now === count) return now;
    count = now;
    await page.waitForTimeout(600);
  }
}

const deviceStatus = (page: Page) => page.locator('#chart-status');

async function openDevice(page: Page, name: string) {
  await page.getByRole('link', { name: 'Rotterdam Harbour Microgrid' }).click();
  await page.getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  await expect.poll(() => deviceStatus(page).textContent(), { timeout: 10_000 }).toMatch(/^Showing /);
}

describe('Charts', { timeout: 90_000 }, () => {
  it('When the system is in dark mode, then every chart on a device and a subscription page draws its labels in a colour that stands out from the dark background', async () => {
    const { page, problems } = await open(h, 1280, { colorScheme: 'dark' });
    await recordCanvasText(page);
    await signIn(page, 'tech@example.com');
    await openDevice(page, 'Grid Meter');
    const onDevice = await drawnSince(page);
    expect(onDevice.length).toBeGreaterThan(10);
    await shot(page, 'device-dark');
    expect(await worstContrast(page, onDevice)).toBeGreaterThanOrEqual(4.5);

    await page.goto(`/subscriptions/${subscriptionId}`);
    await expect
      .poll(() => page.locator('#subscription-chart-status').textContent(), { timeout: 10_000 })
      .toMatch(/^Showing 3 metrics/);
    const onSubscription = await drawnSince(page);
    expect(onSubscription.length).toBeGreaterThan(10);
    await shot(page, 'subscription-dark');
    expect(await worstContrast(page, onSubscription)).toBeGreaterThanOrEqual(4.5);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('When the system switches from light to dark with a device page open, then its charts are drawn again in the dark colours', async () => {
    const { page, problems } = await open(h, 1280, { colorScheme: 'light' });
    await recordCanvasText(page);
    await signIn(page, 'tech@example.com');
    await openDevice(page, 'Harbour Battery');
    await shot(page, 'device-light');
    expect(await worstContrast(page, await drawnSince(page))).toBeGreaterThanOrEqual(4.5);
    // A resize redraws the light charts (debounced): let that pass, so what follows is the switch's doing.
    const before = await quiet(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(async () => (await drawnSince(page, before)).length).toBeGreaterThan(10);
    // Pico fades the background into the new scheme: compare with where it settles.
    await expect.poll(async () => worstContrast(page, await drawnSince(page, before))).toBeGreaterThanOrEqual(4.5);
    await shot(page, 'device-switched-dark');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("When someone in New York with a US browser opens a device of a Rotterdam site, then the chart's times are Rotterdam's, 24-hour, day before month, and the zone is named", async () => {
    const { page, problems } = await open(h, 1280, { locale: 'en-US', timezoneId: 'America/New_York' });
    await recordCanvasText(page);
    await signIn(page, 'tech@example.com');
    await openDevice(page, 'Harbour Battery');
    const stamp = '\\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4}, \\d{2}:\\d{2}';
    expect(await deviceStatus(page).textContent()).toMatch(
      new RegExp(`^Showing ${stamp} – ${stamp} \\(Europe/Amsterdam\\)\\.$`),
    );
    // The window ends now: its end reads as the clock in Rotterdam does.
    const rotterdam = (ms: number) =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Amsterdam',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(ms);
    const end = /(\d{2}:\d{2}) \(Europe/.exec((await deviceStatus(page).textContent())!)![1];
    expect([rotterdam(Date.now()), rotterdam(Date.now() - 60_000)]).toContain(end);
    // The time axis: hours as 14:00, days as "7 Dec"; never 2pm or 12/7/26.
    const axis = (await drawnSince(page)).map((d) => d.text).filter((t) => /\d/.test(t));
    expect(axis.some((t) => /^\d{2}:\d{2}$/.test(t))).toBe(true);
    for (const t of axis) expect(t).not.toMatch(/am|pm|\d+\/\d+/i);

    // No "Time: --" before the pointer is on a chart; on it, the legend gives the bucket's time the same way.
    const chart = page.getByRole('img', { name: /Chart of Power/ });
    const legend = page.locator('.u-legend').nth(1);
    expect(await legend.innerText()).not.toMatch(/--|Time/);
    await chart.hover();
    await expect.poll(() => legend.innerText()).toMatch(new RegExp(stamp));
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('When a device has a counter and a gauge, then each chart says its own aggregation and bucket, and the status line names none', async () => {
    const { page, problems } = await open(h);
    await signIn(page, 'tech@example.com');
    await openDevice(page, 'Grid Meter');
    const captions = page.locator('[data-charts] figcaption');
    await expect
      .poll(() => captions.allInnerTexts())
      .toEqual([
        expect.stringMatching(/^Import energy \(kWh\)\s+kWh per 5 min$/),
        expect.stringMatching(/^Export energy \(kWh\)\s+kWh per 5 min$/),
        // A meter's power says which sign is importing.
        expect.stringMatching(
          /^Power \(kW\)\s+kW, average per 5 min\s+Power through the grid connection: positive while importing/,
        ),
      ]);
    expect(await deviceStatus(page).textContent()).not.toMatch(/avg|delta|average|per /);

    await page.goto(`/subscriptions/${subscriptionId}`);
    await expect
      .poll(() => page.locator('[data-plots] figcaption').allInnerTexts(), { timeout: 10_000 })
      .toEqual(['3 metrics: kW, average per 5 min; %, average per 5 min; kWh per 5 min']);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("When a device's window is chosen, then the Show button lines up with the Window list", async () => {
    const { page } = await open(h);
    await signIn(page, 'tech@example.com');
    await openDevice(page, 'Harbour Battery');
    const select = (await page.getByRole('combobox', { name: 'Window' }).boundingBox())!;
    const button = (await page.getByRole('button', { name: 'Show' }).boundingBox())!;
    expect(Math.abs(button.y + button.height - (select.y + select.height))).toBeLessThanOrEqual(2);
    expect(Math.abs(button.height - select.height)).toBeLessThanOrEqual(2);
    await page.context().close();
  });

  it("When a metric declares 3 decimals, then its chart's legend writes the pointed value with exactly 3", async () => {
    const tech = (await h.app.services.auth.loadActor(
      (await h.app.repos.users.findByEmailWithHash('tech@example.com'))!.id,
    ))!;
    const site = (await h.app.services.sites.list(tech, { q: 'Rotterdam', limit: 1 })).items[0];
    const power = (await h.app.services.metrics.siteLatest(tech, site.id)).find(
      (m) => m.deviceName === 'Harbour Battery' && m.key === 'power',
    )!;
    await h.app.services.metrics.update(tech, power.id, { decimals: 3 });
    const { page, problems } = await open(h);
    await signIn(page, 'tech@example.com');
    await openDevice(page, 'Harbour Battery');
    const chart = page.getByRole('img', { name: /Chart of Power/ });
    const legend = page.locator('.u-legend').nth(1);
    // Near the right edge: the readings are the window's last two hours.
    const box = (await chart.boundingBox())!;
    await chart.hover({ position: { x: box.width - 40, y: box.height / 2 } });
    await expect.poll(() => legend.innerText()).toMatch(/-?[\d,]+\.\d{3} kW/);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
