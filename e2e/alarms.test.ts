/// <reference lib="dom" />
// Alarms in the browser: one appears live while the page is open, a technician acknowledges it and
// sees the data clear it; a viewer sees it but has no acknowledge control (and the API says 403).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, signIn, start, type Harness } from './harness.js';

let h: Harness;
const tokens: Record<string, string> = {};
let socId: string;
beforeAll(async () => {
  h = await start();
  const actorOf = async (email: string) =>
    (await h.app.services.auth.loadActor((await h.app.repos.users.findByEmailWithHash(email))!.id))!;
  for (const email of ['tech@example.com', 'viewer@example.com'])
    tokens[email] = (await h.app.services.auth.createToken(await actorOf(email), 'session', { name: 'e2e' })).token;
  const tech = await actorOf('tech@example.com');
  const site = (await h.app.services.sites.list(tech, { q: 'Rotterdam', limit: 1 })).items[0];
  socId = (await h.app.services.metrics.siteLatest(tech, site.id)).find(
    (m) => m.deviceName === 'Harbour Battery' && m.key === 'soc',
  )!.id;
  await h.app.services.alarms.createForMetric(tech, socId, { condition: 'below', threshold: 10, severity: 'critical' });
}, 60_000);
afterAll(() => h?.close());

/** A reading sent as a device integration would: over HTTP with a bearer token. */
async function sendSoc(value: number, secondsAgo: number) {
  const res = await fetch(`${h.url}/api/readings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens['tech@example.com']}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      readings: [{ metricId: socId, timestamp: new Date(Date.now() - secondsAgo * 1000).toISOString(), value }],
    }),
  });
  expect(res.status).toBe(200);
}

describe('Alarms in the browser', { timeout: 90_000 }, () => {
  it('When a reading raises an alarm while the pages are open, then both see it live; the viewer cannot acknowledge; the technician acknowledges and sees the data clear it', async () => {
    const tech = await open(h);
    await signIn(tech.page, 'tech@example.com');
    await tech.page.goto('/alarms');
    await tech.page.getByText('No alarms need attention.').waitFor();
    const viewer = await open(h);
    await signIn(viewer.page, 'viewer@example.com');
    await viewer.page.goto('/alarms');
    await viewer.page.getByText('No alarms need attention.').waitFor();

    await sendSoc(4, 20);
    const where = 'Rotterdam Harbour Microgrid / Harbour Battery / State of charge';
    const acknowledge = tech.page.getByRole('button', { name: `Acknowledge alarm on ${where}` });
    await acknowledge.waitFor({ timeout: 15_000 });
    // The navigation's badge follows too.
    await tech.page.getByRole('link', { name: 'Alarms 1 active' }).waitFor();

    await viewer.page.getByRole('link', { name: where }).waitFor({ timeout: 15_000 });
    expect(await viewer.page.getByRole('button', { name: /Acknowledge/ }).count()).toBe(0);
    const alarmId = (
      (await (
        await fetch(`${h.url}/api/alarms?state=active`, {
          headers: { authorization: `Bearer ${tokens['viewer@example.com']}` },
        })
      ).json()) as { items: { id: string }[] }
    ).items[0].id;
    const refused = await fetch(`${h.url}/api/alarms/${alarmId}/acknowledge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens['viewer@example.com']}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(403);

    await tech.page.getByLabel('Comment (optional)').fill('Checking the BMS');
    await acknowledge.click();
    await tech.page.getByText('Alarm acknowledged.').waitFor();
    await tech.page.getByText('Checking the BMS').waitFor();

    await sendSoc(60, 5);
    // Cleared by the data and acknowledged: it leaves the list by itself.
    await tech.page.getByText('No alarms need attention.').waitFor({ timeout: 15_000 });
    await viewer.page.getByText('No alarms need attention.').waitFor({ timeout: 15_000 });
    expect(tech.problems).toEqual([]);
    expect(viewer.problems).toEqual([]);
  });
});
