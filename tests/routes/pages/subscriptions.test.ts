import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { addMember, buildTestApp, createDevice, createWorld } from '../../helpers/app.js';
import { HX, signIn } from '../../helpers/pages.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
let other: Awaited<ReturnType<typeof createDevice>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  // The technician also sees a second site, so the picker spans two.
  other = await createDevice(app, w.otherSite.id, { name: 'Far Meter', type: 'meter' });
  await addMember(app, w.otherSite.id, w.technician.id, 'viewer');
});
afterEach(() => app.close());

const actor = async (id: string) => (await app.services.auth.loadActor(id))!;
const subscribe = async (userId: string, name: string, metricIds: string[]) =>
  app.services.subscriptions.create(await actor(userId), { name, metricIds });
/** A form body with `metricIds` once per checked box, as a browser sends it. */
const fields = (name: string, ids: string[]) =>
  `name=${encodeURIComponent(name)}${ids.map((id) => `&metricIds=${id}`).join('')}`;

async function postForm(url: string, body: string, opts: { csrf?: boolean; hx?: boolean; type?: string } = {}) {
  const b = await signIn(app, w.technician.email);
  return app.inject({
    method: 'POST',
    url,
    headers: {
      cookie: b.cookie,
      'content-type': opts.type ?? 'application/x-www-form-urlencoded',
      ...(opts.hx ? HX : {}),
    },
    payload: `${opts.csrf === false ? '' : `_csrf=${encodeURIComponent(b.csrf)}&`}${body}`,
  });
}

describe('GET /subscriptions', () => {
  it('When a user with no subscriptions opens the list, then it says so and offers New subscription', async () => {
    const res = await (await signIn(app, w.technician.email)).get('/subscriptions');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).toContain('<h1>Your subscriptions</h1>');
    expect(res.body).toContain('href="/subscriptions/new" role="button">New subscription');
    expect(res.body).toContain('You have no subscriptions yet');
  });

  it('When a user has subscriptions, then each is listed with its metric count, edit and delete; others’ are not', async () => {
    await subscribe(
      w.technician.id,
      'Batteries',
      w.metrics.map((m) => m.id),
    );
    await subscribe(w.viewer.id, 'Viewer’s own', [w.metrics[0].id]);
    const res = await (await signIn(app, w.technician.email)).get('/subscriptions', HX);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<html');
    expect(res.body).toMatch(/>Batteries<\/a><\/th>\s*<td>2 metrics/);
    expect(res.body).toContain('aria-label="Edit Batteries"');
    expect(res.body).toContain('aria-label="Delete Batteries"');
    expect(res.body).not.toContain('Viewer’s own');
  });

  it('When an anonymous visitor opens it, then they are sent to sign in and back', async () => {
    const res = await app.inject({ url: '/subscriptions' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fsubscriptions');
  });
});

describe('New subscription', () => {
  it('When a user opens the form, then every metric of every site they see is offered, grouped and named by site / device / metric', async () => {
    const res = await (await signIn(app, w.technician.email)).get('/subscriptions/new');
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).toContain('<label for="subscription-name">Name</label>');
    expect(res.body).toContain('<label for="metric-filter">Filter metrics</label>');
    expect(res.body).toContain('aria-label="Main Site / Main Battery / State of charge (%)"');
    expect(res.body).toContain('aria-label="Other Site / Far Meter / Import energy (kWh)"');
    expect(res.body).toContain('<legend>Main Site</legend>');
    expect(res.body).toContain('<legend>Far Meter</legend>');
    expect(res.body).toContain('/assets/subscription-picker.js');
  });

  it('When a viewer of one site opens the form, then metrics of other sites are not offered', async () => {
    const res = await (await signIn(app, w.viewer.email)).get('/subscriptions/new');
    expect(res.body).toContain('Main Site / Main Battery');
    expect(res.body).not.toContain('Other Site');
  });

  it('When the form is valid, then the subscription is created across both sites and the browser goes to it', async () => {
    const ids = [w.metrics[0].id, other.metrics[2].id];
    const res = await postForm('/subscriptions', fields('Across sites', ids));
    expect(res.statusCode).toBe(303);
    const id = res.headers.location!.split('/').pop()!;
    expect(await app.services.subscriptions.get(await actor(w.technician.id), id)).toMatchObject({
      name: 'Across sites',
      metrics: [{ id: ids[0] }, { id: ids[1] }],
    });
  });

  it('When htmx posts a valid form, then it answers with HX-Redirect', async () => {
    const res = await postForm('/subscriptions', fields('One', [w.metrics[0].id]), { hx: true });
    expect(res.statusCode).toBe(204);
    expect(res.headers['hx-redirect']).toMatch(/^\/subscriptions\/[A-Za-z0-9_-]+$/);
  });

  it('When the name is missing, then the form comes back with 422, the message beside Name and the selection kept', async () => {
    const res = await postForm('/subscriptions', fields('  ', [other.metrics[2].id]), { hx: true });
    expect(res.statusCode).toBe(422);
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain('id="subscription-name-error" class="field-error">Name is required');
    expect(res.body).toMatch(new RegExp(`value="${other.metrics[2].id}" aria-label="[^"]+" checked`));
    expect(res.body).not.toMatch(new RegExp(`value="${w.metrics[0].id}" aria-label="[^"]+" checked`));
    expect((await app.services.subscriptions.list(await actor(w.technician.id), { limit: 10 })).items).toEqual([]);
  });

  it('When no metric is chosen, then 422 says to choose one, beside the picker, and keeps the name', async () => {
    const res = await postForm('/subscriptions', fields('Nothing yet', []));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<html'); // a plain form post gets the whole page back
    expect(res.body).toContain('id="metric-picker-error" class="field-error">Choose at least one metric.');
    expect(res.body).toContain('value="Nothing yet"');
  });

  it('When the form’s content type is written in capitals, or a field is sent twice, then it is read like any form (it was a 500)', async () => {
    for (const type of ['APPLICATION/X-WWW-FORM-URLENCODED', 'Application/X-Www-Form-Urlencoded; charset=UTF-8']) {
      const none = await postForm('/subscriptions', 'name=first&name=Twice', { type });
      expect(none.statusCode, type).toBe(422);
      expect(none.body).toContain('id="metric-picker-error" class="field-error">Choose at least one metric.');
      expect(none.body).toContain('value="Twice"');
      const one = await postForm('/subscriptions', fields('Capitals', [w.metrics[0].id]), { type });
      expect(one.statusCode, type).toBe(303);
    }
  });

  it('When more than 1,000 metrics are posted, then 422 says the limit', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `met_${i}`);
    const res = await postForm('/subscriptions', fields('Too many', ids), { hx: true });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Choose at most 1,000 metrics (you chose 1,001).');
  });

  it('When a metric of a site the user cannot see (or one deleted since the page was drawn) is posted, then 422 says a chosen metric is no longer available, without its id, and nothing is stored', async () => {
    const hidden = await createDevice(
      app,
      (
        await app.repos.sites.create(
          { name: 'Hidden', description: '', latitude: null, longitude: null, timezone: 'UTC' },
          null,
        )
      ).id,
    );
    const res = await postForm('/subscriptions', fields('Sneaky', [w.metrics[0].id, hidden.metrics[0].id]), {
      hx: true,
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('A metric you chose is no longer available');
    expect(res.body).not.toContain(hidden.metrics[0].id);
    expect(res.body).not.toContain('Unknown metric');
    expect(res.body).toMatch(new RegExp(`value="${w.metrics[0].id}"[^>]*checked`));
    expect((await app.services.subscriptions.list(await actor(w.technician.id), { limit: 10 })).items).toEqual([]);
  });

  it('When the CSRF token is missing, then it is refused and nothing is created', async () => {
    const res = await postForm('/subscriptions', fields('No token', [w.metrics[0].id]), { csrf: false });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form has expired');
    expect((await app.services.subscriptions.list(await actor(w.technician.id), { limit: 10 })).items).toEqual([]);
  });
});

describe('GET /subscriptions/:id', () => {
  it('When the owner opens it, then the chart controls, CSV link, stream and metric table are there', async () => {
    const sub = await subscribe(w.technician.id, 'Across', [w.metrics[0].id, other.metrics[2].id]);
    const res = await (await signIn(app, w.technician.email)).get(`/subscriptions/${sub.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).toContain('<h1>Across</h1>');
    expect(res.body).toContain(`data-series-url="/api/subscriptions/${sub.id}/timeseries"`);
    expect(res.body).toContain(`data-stream-url="/api/subscriptions/${sub.id}/stream"`);
    expect(res.body).toContain('>Download CSV</a>');
    for (const label of ['Window', 'Aggregation', 'From', 'To'])
      expect(res.body).toMatch(new RegExp(`<label for="sub-[a-z]+">${label}`));
    expect(res.body).toContain('/assets/vendor/uplot/uPlot.iife.min.js');
    expect(res.body).toContain('/assets/subscription-chart.js');
    expect(res.body).toMatch(/Other Site \/ <a href="\/devices\/[^"]+">Far Meter<\/a> \/ Power/);
    expect(res.body).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script (CSP)
  });

  it("When it shows a reading, then the time is in the subscription's zone (its first metric's site's), named as on the chart", async () => {
    await app.services.readings.ingest(await actor(w.technician.id), [
      { metricId: w.metrics[0].id, timestamp: '2026-12-06T23:15:30.000Z', value: 50 },
    ]);
    const sub = await subscribe(w.technician.id, 'Zoned', [w.metrics[0].id, other.metrics[2].id]);
    const res = await (await signIn(app, w.technician.email)).get(`/subscriptions/${sub.id}`);
    expect(res.body).toContain('<td>7 Dec, 00:15:30</td>');
    expect(res.body).toContain('Times are in Europe/Berlin, as on the chart.');
    expect(res.body).not.toMatch(/\d{2}:\d{2}:\d{2} UTC/);
  });

  it('When htmx polls it, then only the metrics table comes back', async () => {
    const sub = await subscribe(w.technician.id, 'Poll', [w.metrics[0].id]);
    const res = await (await signIn(app, w.technician.email)).get(`/subscriptions/${sub.id}`, HX);
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain('id="subscription-metrics"');
  });

  it('When the chart window is in the address, then the controls show it', async () => {
    const sub = await subscribe(w.technician.id, 'Week', [w.metrics[0].id]);
    const res = await (await signIn(app, w.technician.email)).get(`/subscriptions/${sub.id}?range=7d&agg=max`);
    expect(res.body).toContain('<option value="7d" selected>');
    expect(res.body).toContain('<option value="max" selected>');
  });

  it('When the owner lost access to a site, then its metrics are listed as unavailable with why', async () => {
    const sub = await subscribe(w.technician.id, 'Mixed', [w.metrics[0].id, other.metrics[2].id]);
    await app.repos.sites.removeMember(w.otherSite.id, w.technician.id, null);
    const res = await (await signIn(app, w.technician.email)).get(`/subscriptions/${sub.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('No longer available');
    expect(res.body).toContain(`<code>${other.metrics[2].id}</code>: you no longer have access to its site.`);
    expect(res.body).not.toContain('Far Meter');
    const edit = await (await signIn(app, w.technician.email)).get(`/subscriptions/${sub.id}/edit`);
    expect(edit.body).toContain('saving drops them');
  });

  it('When another user opens someone else’s subscription, then every page of it is the 404 page', async () => {
    const sub = await subscribe(w.technician.id, 'Mine', [w.metrics[0].id]);
    const b = await signIn(app, w.viewer.email);
    for (const url of [
      `/subscriptions/${sub.id}`,
      `/subscriptions/${sub.id}/edit`,
      `/subscriptions/${sub.id}/delete`,
    ]) {
      const res = await b.get(url);
      expect(res.statusCode).toBe(404);
      expect(res.body).toContain('Page not found');
      expect(res.body).not.toContain('Mine');
    }
    expect((await b.post(`/subscriptions/${sub.id}/delete`, {})).statusCode).toBe(404);
    expect((await b.post(`/subscriptions/${sub.id}`, { name: 'Taken', metricIds: w.metrics[0].id })).statusCode).toBe(
      404,
    );
    expect((await app.services.subscriptions.get(await actor(w.technician.id), sub.id)).name).toBe('Mine');
  });
});

describe('Edit and delete a subscription', () => {
  it('When the owner opens the edit form, then the name and current metrics are filled in', async () => {
    const sub = await subscribe(w.technician.id, 'Edit me', [other.metrics[1].id]);
    const res = await (await signIn(app, w.technician.email)).get(`/subscriptions/${sub.id}/edit`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.body).toContain('value="Edit me"');
    expect(res.body).toMatch(
      new RegExp(
        `value="${other.metrics[1].id}" aria-label="Other Site / Far Meter / Export energy \\(kWh\\)" checked`,
      ),
    );
    expect(res.body).toContain('Save changes');
  });

  it('When the owner saves a new name and set, then both are stored; an invalid edit is 422 and stores nothing', async () => {
    const sub = await subscribe(w.technician.id, 'Before', [w.metrics[0].id]);
    const bad = await postForm(`/subscriptions/${sub.id}`, fields('After', []), { hx: true });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('value="After"');
    const res = await postForm(`/subscriptions/${sub.id}`, fields('After', [w.metrics[1].id, other.metrics[0].id]));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/subscriptions/${sub.id}`);
    expect(await app.services.subscriptions.get(await actor(w.technician.id), sub.id)).toMatchObject({
      name: 'After',
      metricCount: 2,
    });
  });

  it('When deleting, then a confirmation asks first; confirming deletes; without the CSRF token nothing happens', async () => {
    const sub = await subscribe(w.technician.id, 'Short-lived', [w.metrics[0].id]);
    const b = await signIn(app, w.technician.email);
    const confirm = await b.get(`/subscriptions/${sub.id}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Yes, delete this subscription');
    expect(confirm.body).toContain('The metrics, their devices and their readings stay');
    expect((await b.post(`/subscriptions/${sub.id}/delete`, {}, { csrf: null })).statusCode).toBe(403);
    expect((await b.get(`/subscriptions/${sub.id}`)).statusCode).toBe(200);
    const res = await b.post(`/subscriptions/${sub.id}/delete`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/subscriptions');
    expect((await b.get(`/subscriptions/${sub.id}`)).statusCode).toBe(404);
  });
});
