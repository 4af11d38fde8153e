import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, shot, signIn, start, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await start();
}, 60_000);
afterAll(() => h?.close());

const siteNames = async (page: import('playwright-core').Page) =>
  (await page.locator('#site-list').getByRole('heading', { level: 2 }).allTextContents()).map((t) => t.trim()).sort();

describe('Signing in', { timeout: 60_000 }, () => {
  it('When each demo user signs in, then they see exactly their sites', async () => {
    const expected: Record<string, string[]> = {
      'admin@example.com': [
        'Alpine Wind Park',
        'Berlin Office Battery',
        'Rotterdam Harbour Microgrid',
        'Sevilla Solar Farm',
      ],
      'tech@example.com': ['Alpine Wind Park', 'Rotterdam Harbour Microgrid'],
      'viewer@example.com': ['Rotterdam Harbour Microgrid', 'Sevilla Solar Farm'],
    };
    for (const [email, sites] of Object.entries(expected)) {
      const { page, problems } = await open(h);
      await signIn(page, email);
      await page.goto('/sites');
      expect(await siteNames(page)).toEqual(sites);
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });

  it('When an anonymous visitor opens a site page, then they sign in and come back to it; then they sign out', async () => {
    const { page, problems } = await open(h, 375);
    await page.goto('/sites?q=Sevilla');
    await page.waitForURL(/\/login\?next=/);
    await shot(page, 'login-375');
    await page.getByLabel('Email').fill('viewer@example.com');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');
    await page.getByLabel('Password').fill('sitewatt-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/sites?q=Sevilla');
    expect(await siteNames(page)).toEqual(['Sevilla Solar Farm']);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
