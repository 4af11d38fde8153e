/// <reference lib="dom" />
// (page.evaluate / addInitScript callbacks run in the browser.)
// The real server on a temporary file database with the demo fleet (no simulator), and Debian's
// Chromium driven by playwright-core. Every page records CSP violations and script errors.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { buildApp, type App } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { seedDemo } from '../src/seed/demo.js';
import { buildTestApp, onPostgres } from '../tests/helpers/app.js';

export const DEMO_PASSWORD = 'sitewatt-demo';
// The PostgreSQL run (which runs beside SQLite's) keeps its own, so neither overwrites the other's.
export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots', ...(onPostgres ? ['postgres'] : []));

export interface Harness {
  app: App;
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function start(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'sitewatt-e2e-'));
  const settings = { demo: true, demoPassword: DEMO_PASSWORD, simulator: false };
  // A file as a server has it; with TEST_DATABASE_URL, a PostgreSQL schema of the test harness's.
  const app = onPostgres
    ? await buildTestApp(settings)
    : await buildApp(testConfig({ ...settings, databasePath: join(dir, 'e2e.db') }));
  await seedDemo(app.repos, DEMO_PASSWORD);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    app,
    url,
    browser,
    async close() {
      await browser.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Tab {
  page: Page;
  /** CSP violations and uncaught script errors seen so far. */
  problems: string[];
}

/** A fresh browser tab; `options` are what the person's system says (colour scheme, locale, time zone). */
export async function open(
  h: Harness,
  width = 1280,
  options: Pick<BrowserContextOptions, 'colorScheme' | 'locale' | 'timezoneId'> = {},
): Promise<Tab> {
  const context = await h.browser.newContext({ baseURL: h.url, viewport: { width, height: 900 }, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  // Injected by the browser driver, so the page's own CSP does not apply to this listener.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e: SecurityPolicyViolationEvent) =>
      console.error(
        `CSP violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${(e.target as Element)?.outerHTML?.slice(0, 120)}`,
      ),
    );
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|CSP violation/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { page, problems };
}

export async function signIn(page: Page, email: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Signing in lands on the overview.
  await page.waitForURL((url) => url.pathname === '/');
}

export const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
