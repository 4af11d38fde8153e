import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld } from '../../helpers/app.js';
import { HX, signIn } from '../../helpers/pages.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
let alarmId: string;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  const tech = (await app.services.auth.loadActor(w.technician.id))!;
  const soc = w.metrics.find((m) => m.key === 'soc')!;
  await app.services.alarms.createForMetric(tech, soc.id, { condition: 'below', threshold: 10, severity: 'critical' });
  await app.services.readings.ingest(tech, [
    { metricId: soc.id, timestamp: new Date(Date.now() - 60_000).toISOString(), value: 4 },
  ]);
  alarmId = (await app.services.alarms.attention(tech)).alarms[0].id;
});
afterEach(async () => app.close());

describe('GET /alarms', () => {
  it('When a technician opens the list, then the alarm shows with its place and the acknowledge and clear forms', async () => {
    const browser = await signIn(app, w.technician.email);
    const res = await browser.get('/alarms');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.vary).toMatch(/HX-Request/i);
    expect(res.body).toContain('Main Site / Main Battery / State of charge');
    expect(res.body).toContain('aria-label="Acknowledge alarm on Main Site / Main Battery / State of charge"');
    expect(res.body).toContain('aria-label="Clear alarm on Main Site / Main Battery / State of charge"');
    // The navigation counts it (active and unacknowledged) on every full page.
    expect((await browser.get('/sites')).body).toContain(
      '<span class="badge">1<span class="visually-hidden"> active</span></span>',
    );
    const partial = await browser.get('/alarms', HX);
    expect(partial.body).not.toContain('<html');
  });

  it('When a viewer opens the list, then the alarm shows without forms; an outsider sees none', async () => {
    const viewer = await (await signIn(app, w.viewer.email)).get('/alarms');
    expect(viewer.body).toContain('below 10');
    expect(viewer.body).not.toContain('Acknowledge</button>');
    const outsider = await (await signIn(app, w.outsider.email)).get('/alarms');
    expect(outsider.body).toContain('No alarms need attention.');
    expect(outsider.body).not.toContain('Main Battery');
  });
});

describe('GET /alarms?siteId= and /alarms/badge', () => {
  it("When a viewer opens a site's alarms, then they show under the site's name and follow live changes; an outsider gets 404", async () => {
    const viewer = await signIn(app, w.viewer.email);
    const page = await viewer.get(`/alarms?siteId=${w.site.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Alarms of Main Site</h1>');
    expect(page.body).toContain('Main Battery');
    expect(page.body).toContain(`hx-get="/alarms?siteId=${w.site.id}" hx-trigger="alarms-changed from:body"`);
    expect(page.body).toContain('src="/assets/alarms-live.js"');
    const other = await viewer.get(`/alarms?siteId=${w.otherSite.id}`);
    expect(other.statusCode).toBe(404);
  });

  it('When the badge is fetched alone, then it is the count of active alarms, and empty once acknowledged', async () => {
    const browser = await signIn(app, w.technician.email);
    const badge = await browser.get('/alarms/badge', HX);
    expect(badge.statusCode).toBe(200);
    expect(badge.body).toContain('<span class="badge">1<span class="visually-hidden"> active</span></span>');
    await browser.post(`/alarms/${alarmId}/acknowledge`, { comment: '' });
    expect((await browser.get('/alarms/badge', HX)).body).not.toContain('class="badge"');
  });
});

describe('POST /alarms/:alarmId/clear', () => {
  it('When the reason is empty, then the page comes back with 422 and the message beside the field', async () => {
    const browser = await signIn(app, w.technician.email);
    const res = await browser.post(`/alarms/${alarmId}/clear`, { reason: '' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(`id="clear-${alarmId}-error"`);
  });

  it('When a technician acknowledges then clears, then each redirects with a notice and the alarm leaves the list', async () => {
    const browser = await signIn(app, w.technician.email);
    const ack = await browser.post(`/alarms/${alarmId}/acknowledge`, { comment: 'On my way' });
    expect(ack.statusCode).toBe(303);
    expect(ack.headers.location).toBe('/alarms?done=acknowledged');
    const clear = await browser.post(`/alarms/${alarmId}/clear`, { reason: 'Battery replaced' });
    expect(clear.headers.location).toBe('/alarms?done=cleared');
    const page = await browser.get('/alarms?done=cleared');
    expect(page.body).toContain('Alarm cleared.');
    expect(page.body).toContain('No alarms need attention.');
    expect(page.body).not.toContain('class="badge"');
  });
});

describe('GET /sites/:siteId/alarm-rules', () => {
  it('When a technician adds a rule on every battery, then it is listed and can be disabled and deleted', async () => {
    const browser = await signIn(app, w.technician.email);
    const page = await browser.get(`/sites/${w.site.id}/alarm-rules`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<option value="type:battery:soc">');
    const added = await browser.post(`/sites/${w.site.id}/alarm-rules`, {
      target: 'type:battery:soc',
      condition: 'below',
      threshold: '10',
      clearThreshold: '15',
      forSeconds: '300',
      noDataMinutes: '',
      low: '',
      high: '',
      severity: 'major',
    });
    expect(added.statusCode, added.body).toBe(303);
    const listed = await browser.get(`/sites/${w.site.id}/alarm-rules?done=added`);
    expect(listed.body).toContain('Rule added.');
    expect(listed.body).toContain('below 10 (clears at 15) for 300 s');
    const ruleId = /action="\/alarm-rules\/([^/]+)\/enabled"/.exec(
      listed.body.split('clears at 15').slice(1).join(''),
    )![1];
    const off = await browser.post(`/alarm-rules/${ruleId}/enabled`, { enabled: 'false' });
    expect(off.headers.location).toBe(`/sites/${w.site.id}/alarm-rules?done=changed`);
    expect((await app.services.alarms.getRule((await app.services.auth.loadActor(w.admin.id))!, ruleId)).enabled).toBe(
      false,
    );
    const del = await browser.post(`/alarm-rules/${ruleId}/delete`, {});
    expect(del.headers.location).toBe(`/sites/${w.site.id}/alarm-rules?done=deleted`);
  });

  it('When the rule does not fit its condition, then the form comes back with 422 and the field message', async () => {
    const browser = await signIn(app, w.technician.email);
    const res = await browser.post(`/sites/${w.site.id}/alarm-rules`, {
      target: 'type:battery:soc',
      condition: 'outside',
      low: '5',
      severity: 'minor',
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="rule-high-error"');
  });

  it('When a viewer opens the rules, then they are listed without forms', async () => {
    const res = await (await signIn(app, w.viewer.email)).get(`/sites/${w.site.id}/alarm-rules`);
    expect(res.body).toContain('below 10');
    expect(res.body).not.toContain('Add rule');
  });
});

describe('GET and POST /alarm-rules/:ruleId/edit', () => {
  const ruleIdOf = async () => (await app.repos.alarms.rulesOfSite(w.site.id))[0].id;

  it("When a technician edits a rule's numbers from the device page, then it is saved, its open alarm clears, and the device page confirms", async () => {
    const browser = await signIn(app, w.technician.email);
    const device = await browser.get(`/devices/${w.device.id}`);
    const ruleId = await ruleIdOf();
    expect(device.body).toContain(`href="/alarm-rules/${ruleId}/edit?device=${w.device.id}"`);
    const form = await browser.get(`/alarm-rules/${ruleId}/edit?device=${w.device.id}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label for="rule-threshold">Threshold</label>');
    const saved = await browser.post(`/alarm-rules/${ruleId}/edit?device=${w.device.id}`, {
      threshold: '8',
      clearThreshold: '12',
      forSeconds: '60',
      severity: 'major',
      enabled: 'true',
    });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`/devices/${w.device.id}?done=rule-saved`);
    const rule = (await app.repos.alarms.findRule(ruleId))!;
    expect(rule).toMatchObject({ threshold: 8, clearThreshold: 12, forSeconds: 60, severity: 'major' });
    expect((await app.repos.alarms.findAlarm(alarmId))!.clearReason).toBe('Rule changed');
    expect((await browser.get(`/devices/${w.device.id}?done=rule-saved`)).body).toContain('Alarm rule saved.');
  });

  it('When the numbers do not fit, then the form comes back with 422 and the message beside the field; nothing changes', async () => {
    const browser = await signIn(app, w.technician.email);
    const ruleId = await ruleIdOf();
    const res = await browser.post(`/alarm-rules/${ruleId}/edit`, {
      threshold: '10',
      clearThreshold: '5',
      severity: 'critical',
      enabled: 'true',
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="rule-clear-error"');
    expect(res.body).toContain('Must be at least the threshold');
    const bad = await browser.post(`/alarm-rules/${ruleId}/edit`, { forSeconds: 'soon', severity: 'critical' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="rule-for-error"');
    expect((await app.repos.alarms.findRule(ruleId))!.clearThreshold).toBeNull();
  });

  it('When a viewer opens the edit form, then 403, and the device page shows the rule without an edit link', async () => {
    const browser = await signIn(app, w.viewer.email);
    const ruleId = await ruleIdOf();
    expect((await browser.get(`/alarm-rules/${ruleId}/edit`)).statusCode).toBe(403);
    const device = await browser.get(`/devices/${w.device.id}`);
    expect(device.body).toContain('below 10');
    expect(device.body).not.toContain(`/alarm-rules/${ruleId}/edit`);
  });
});
