// Form field names are nested by src/routes/pages/form.ts (`metrics[0][key]`): a name that walks
// into a prototype once set a property on every object of the server process.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { unflatten } from '../../src/routes/pages/form.js';
import { buildTestApp, createWorld } from '../helpers/app.js';
import { signIn } from '../helpers/pages.js';
import { registeredRoutes } from './matrix-routes.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const names = [
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'metrics[__proto__][polluted]',
  'metrics[0][__proto__][polluted]',
  'metrics[constructor][prototype][polluted]',
];

describe('Form field names', () => {
  it('When a name walks into a prototype, then it is dropped and nothing outside the form changes', () => {
    for (const name of names) {
      const out = unflatten({ [name]: 'yes', name: 'Kept' });
      expect(out).toEqual({ name: 'Kept' });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    }
  });

  it('When a plain value comes where rows are expected, then the rows win instead of a crash', () => {
    expect(unflatten({ metrics: 'x', 'metrics[0][key]': 'a' })).toEqual({ metrics: { 0: { key: 'a' } } });
  });

  it('When such names are posted to every kind of form, then each answer is a 4xx, the process is unharmed and the next form still works', async () => {
    const b = await signIn(app, w.technician.email);
    for (const name of names) {
      for (const url of [`/sites/${w.site.id}/devices`, `/devices/${w.device.id}`, '/account/tokens']) {
        const res = await b.post(url, { [name]: 'yes', name: 'Probe', type: 'meter', version: w.device.version });
        expect(res.statusCode, `${url} ${name}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${url} ${name}`).toBeLessThan(500);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }
    }
    const created = await b.post(`/sites/${w.site.id}/devices`, {
      name: 'After',
      type: 'meter',
      manufacturer: '',
      model: '',
      serialNumber: '',
      'metrics[0][key]': 'power',
      'metrics[0][name]': 'Power',
      'metrics[0][unit]': 'kW',
      'metrics[0][kind]': 'gauge',
      'metrics[0][intervalSeconds]': '60',
    });
    expect(created.statusCode).toBe(303);
  });
});

describe('Hand-made bodies to every page form', () => {
  const forms = [
    'name=a&name=b',
    'metrics=x',
    'metrics[0]=x',
    'metrics=x&metrics[0][key]=a',
    'metrics[0][key]=a&metrics[0][key]=b',
    'name[a]=b',
    'metricIds[a]=b',
    'email[x]=1&password=a',
    'active=maybe',
    'version=abc',
    'expiresInDays=1e400',
    'latitude=1e400&name=x&timezone=UTC',
    'role=owner&userId=x',
    'metrics[99999999999]=x',
  ];

  it('When any page POST route (from the route table) gets a crafted form, or a JSON body, then the answer is a 4xx or a redirect, never a 5xx', async () => {
    // Deletions last, so every other form still finds its site, device and subscription; the site's
    // own last of all, as it takes its devices, rules, keys and webhooks with it.
    const destructive = (url: string) => /\/(delete|remove|revoke)$/.test(url);
    const rank = (url: string) => (url === '/admin/sites/:siteId/delete' ? 2 : Number(destructive(url)));
    const posts = (await registeredRoutes())
      .filter((r) => r.method === 'POST' && !r.url.startsWith('/api') && r.url !== '/logout')
      .sort((a, b) => rank(a.url) - rank(b.url));
    expect(posts.length).toBeGreaterThan(15);
    const tech = await signIn(app, w.technician.email);
    const admin = await signIn(app, w.admin.email);
    // Subscriptions are private: each browser posts to its own.
    const subscriptionOf = async (userId: string) =>
      (
        await app.services.subscriptions.create((await app.services.auth.loadActor(userId))!, {
          name: 'S',
          metricIds: [w.metrics[0].id],
        })
      ).id;
    const subs = new Map([
      [tech, await subscriptionOf(w.technician.id)],
      [admin, await subscriptionOf(w.admin.id)],
    ]);
    // A rule for the rule-editing form to reach (an unknown id answers 404 before the form is read),
    // the alarm a reading below it raises, for the acknowledge and clear forms.
    const technician = (await app.services.auth.loadActor(w.technician.id))!;
    const rule = await app.services.alarms.createForMetric(technician, w.metrics[0].id, {
      condition: 'below',
      threshold: 10,
      severity: 'major',
    });
    await app.services.readings.ingest(technician, [
      { metricId: w.metrics[0].id, timestamp: new Date(Date.now() - 60_000).toISOString(), value: 1 },
    ]);
    const [alarm] = (await app.services.alarms.list(technician, { limit: 1, siteId: w.site.id })).items;
    const admins = (await app.services.auth.loadActor(w.admin.id))!;
    // A reserved name (RFC 6761) that never resolves; dispatch is off in tests anyway.
    const webhook = await app.services.webhooks.create(admins, w.site.id, {
      url: 'https://hooks.sitewatt.invalid/alarms',
      secret: 'form-fields-webhook-secret',
    });
    const key = await app.services.ingestKeys.create(admins, w.site.id, { name: 'Form fields' });
    const failures: string[] = [];
    for (const route of posts) {
      // Sign-in is limited to 30 posts a minute per address: one browser is enough there.
      for (const b of route.url === '/login' ? [tech] : [tech, admin]) {
        const ids: Record<string, string> = {
          siteId: w.site.id,
          deviceId: w.device.id,
          userId: w.viewer.id,
          subscriptionId: subs.get(b)!,
          tokenId: 'tok_missing',
          ruleId: rule.id,
          alarmId: alarm.id,
          webhookId: webhook.id,
          keyId: key.id,
        };
        const url = route.url.replace(/:(\w+)/g, (_, name: string) => ids[name] ?? 'x');
        for (const body of forms) {
          const res = await app.inject({
            method: 'POST',
            url,
            headers: { cookie: b.cookie, 'content-type': 'application/x-www-form-urlencoded' },
            payload: `_csrf=${encodeURIComponent(b.csrf)}&${body}`,
          });
          if (res.statusCode >= 500) failures.push(`${route.key} ${body}: ${res.statusCode}`);
          if (res.statusCode === 404 && !destructive(route.url) && route.url !== '/account/tokens/:tokenId/revoke')
            failures.push(`${route.key} ${body}: 404, so the form was never reached`);
        }
        // Pages take forms only: any other body is refused before a handler sees it.
        const json = await app.inject({
          method: 'POST',
          url,
          headers: { cookie: b.cookie, 'content-type': 'application/json', 'x-csrf-token': b.csrf },
          payload: '{"name":5,"metrics":"x","metricIds":5}',
        });
        if (json.statusCode !== 415) failures.push(`${route.key} JSON: ${json.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
