import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createUser, createWorld } from '../../helpers/app.js';
import { HX, signIn } from '../../helpers/pages.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

describe('/account/tokens', () => {
  it('When a user creates a token, then it is shown once with a copy button, listed, and can be revoked', async () => {
    const b = await signIn(app, w.viewer.email);
    const created = await b.post('/account/tokens', { name: 'nightly export', expiresInDays: '' }, { headers: HX });
    expect(created.statusCode).toBe(201);
    expect(created.body).toMatch(/value="sw_[A-Za-z0-9_-]+"/);
    expect(created.body).toContain('Copy token');
    const page = await b.get('/account/tokens');
    expect(page.headers.vary).toMatch(/HX-Request/);
    expect(page.body).toContain('Revoke token nightly export');
    expect(page.body).not.toMatch(/value="sw_/);
    const [token] = (await app.services.auth.listTokens((await app.services.auth.loadActor(w.viewer.id))!)).filter(
      (t) => t.name === 'nightly export',
    );
    expect((await b.post(`/account/tokens/${token.id}/revoke`, {})).statusCode).toBe(303);
    expect((await b.get('/account/tokens')).body).not.toContain('Revoke token nightly export');
  });

  it('When the expiry is beyond the longest lifetime, then 422 with the limit beside the field, and the form says the limit', async () => {
    const b = await signIn(app, w.viewer.email);
    expect((await b.get('/account/tokens')).body).toContain('At most 365; leave empty for the longest');
    const res = await b.post('/account/tokens', { name: 'decade', expiresInDays: 3650 });
    expect(res.statusCode).toBe(422);
    expect(res.body).toMatch(/id="token-expiry-error"[^>]*>[^<]*must be at most 365/);
    expect(await app.services.auth.listTokens((await app.services.auth.loadActor(w.viewer.id))!)).toHaveLength(1);
  });

  it('When the page shows a new token (full page or htmx), then it says Cache-Control: no-store, so no cache keeps the secret', async () => {
    const b = await signIn(app, w.viewer.email);
    for (const headers of [{}, HX]) {
      const created = await b.post('/account/tokens', { name: 'secret page' }, { headers });
      expect(created.statusCode).toBe(201);
      expect(created.headers['cache-control']).toBe('no-store');
    }
  });

  it('When the name is empty, then 422 with the message beside the field', async () => {
    const res = await (await signIn(app, w.viewer.email)).post('/account/tokens', { name: '' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="token-name-error"');
  });
});

describe('/admin', () => {
  it('When a non-admin opens it, then it is a 403 page', async () => {
    const res = await (await signIn(app, w.technician.email)).get('/admin');
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('Create a user');
  });

  it('When the admin opens it, then users and sites with their forms are shown', async () => {
    const res = await (await signIn(app, w.admin.email)).get('/admin');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Create a user');
    expect(res.body).toContain('Main Site');
  });

  it("When the admin opens it, then each person's site roles are listed beside them", async () => {
    const res = await (await signIn(app, w.admin.email)).get('/admin');
    expect(res.body).toContain('<th scope="col">Site roles</th>');
    expect(res.body).toContain(`<a href="/admin/sites/${w.site.id}">Main Site</a>: technician`);
    expect(res.body).toContain(`<a href="/admin/sites/${w.site.id}">Main Site</a>: viewer`);
    expect(res.body).toContain(`<a href="/admin/sites/${w.otherSite.id}">Other Site</a>: technician`);
    expect(res.body).toContain('Every site (admin)');
  });

  it('When the admin creates a user with a short password, then 422 beside Password; a valid one is created', async () => {
    const b = await signIn(app, w.admin.email);
    const bad = await b.post('/admin/users', { email: 'new@example.com', name: 'New', password: 'short' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="user-password-error"');
    expect(bad.body).toContain('value="new@example.com"');
    expect(
      (
        await b.post('/admin/users', {
          email: 'new@example.com',
          name: 'New',
          password: 'long enough pw',
          isAdmin: 'true',
        })
      ).statusCode,
    ).toBe(303);
    const taken = await b.post('/admin/users', { email: 'new@example.com', name: 'Again', password: 'long enough pw' });
    expect(taken.statusCode).toBe(422);
    expect(taken.body).toContain('id="user-email-error"');
  });

  it('When the admin double-clicks Create user, then one user is created and the other post gets the form with the email taken, not a 500', async () => {
    const b = await signIn(app, w.admin.email);
    const both = await Promise.all(
      [1, 2].map(() =>
        b.post('/admin/users', { email: 'double@example.com', name: 'Double', password: 'long enough pw' }),
      ),
    );
    expect(both.map((r) => r.statusCode).sort()).toEqual([303, 422]);
    expect(both.find((r) => r.statusCode === 422)!.body).toContain('id="user-email-error"');
    expect((await app.repos.users.list(200))!.items.filter((u) => u.email === 'double@example.com')).toHaveLength(1);
  });

  it('When a user was deleted after the admin page was drawn, then resetting their password or deactivating them gets the page with a notice, not an error page', async () => {
    const b = await signIn(app, w.admin.email);
    await app.repos.users.delete(w.outsider.id, null);
    for (const [path, body, status] of [
      [`/admin/users/${w.outsider.id}/password`, { password: 'short' }, 422],
      [`/admin/users/${w.outsider.id}/password`, { password: 'long enough pw' }, 409],
      [`/admin/users/${w.outsider.id}/active`, { active: 'false' }, 409],
    ] as const) {
      const res = await b.post(path, body);
      expect(res.statusCode).toBe(status);
      expect(res.body).toContain('That user no longer exists');
      expect(res.body).toContain('id="admin-users"');
    }
    const fine = await b.post(`/admin/users/${w.viewer.id}/password`, { password: 'short' });
    expect(fine.statusCode).toBe(422);
    expect(fine.body).not.toContain('That user no longer exists');
    expect(fine.body).toContain(`id="pw-${w.viewer.id}-error"`);
    // Not an admin: still 403, however stale the id.
    expect(
      (await (await signIn(app, w.technician.email)).post(`/admin/users/${w.outsider.id}/active`, { active: 'false' }))
        .statusCode,
    ).toBe(403);
  });

  it('When there are more users and sites than a page holds, then each list pages on its own and a refused reset on a later page still says so', async () => {
    for (let i = 0; i < 105; i++) await createUser(app, { name: `Bulk ${String(i).padStart(3, '0')}` });
    for (let i = 0; i < 101; i++)
      await app.repos.sites.create(
        { name: `Bulk site ${i}`, description: '', latitude: null, longitude: null, timezone: 'UTC' },
        null,
      );
    const b = await signIn(app, w.admin.email);
    const first = await b.get('/admin');
    const nextUsers = /href="(\/admin\?users=[^"]+)">Next users/.exec(first.body)?.[1].replace(/&amp;/g, '&');
    const nextSites = /href="(\/admin\?sites=[^"#]+)#admin-sites">Next sites/
      .exec(first.body)?.[1]
      .replace(/&amp;/g, '&');
    expect(nextUsers).toBeTruthy();
    expect(nextSites).toBeTruthy();
    const seen = (html: string) => [...html.matchAll(/<th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);
    // Walk every page of users: each user once, in all.
    const all = seen(first.body);
    let next: string | undefined = nextUsers!;
    let second = '';
    while (next) {
      const page = await b.get(next);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('>First users</a>');
      second ||= page.body;
      all.push(...seen(page.body));
      next = /href="(\/admin\?users=[^"]+)">Next users/.exec(page.body)?.[1].replace(/&amp;/g, '&');
    }
    expect(all.length).toBe(await app.repos.users.count());
    expect(new Set(all).size).toBe(all.length);
    const secondUsers = seen(second);
    const sitesPage = await b.get(nextSites!);
    expect(sitesPage.body).toContain('>First sites</a>');
    expect((await b.get('/admin?users=not-a-cursor!')).statusCode).toBe(400);
    // A reset refused for a user who is not on the page drawn again is reported above the list.
    const later = (await app.repos.users.list(200))!.items.find((u) => secondUsers.includes(u.name))!;
    const refused = await b.post(`/admin/users/${later.id}/password`, { password: 'short' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain(`The password of ${later.name} was not changed: it `);
  });

  it('When there are more people than the member form can list, then it asks for an email (any case) and says when it matches no one', async () => {
    const b = await signIn(app, w.admin.email);
    const picker = (await b.get(`/admin/sites/${w.site.id}`)).body;
    expect(picker).toContain('id="member-user"');
    // Admins see every site anyway: not offered.
    expect(picker).toContain(`<option value="${w.outsider.id}">`);
    expect(picker).not.toContain(`<option value="${w.admin.id}">`);
    for (let i = 0; i < 200; i++) await createUser(app, { name: `Bulk ${String(i).padStart(3, '0')}` });
    const late = await createUser(app, { email: 'zz-late@example.com', name: 'Late Comer' });
    const page = await b.get(`/admin/sites/${w.site.id}`);
    expect(page.body).toContain('id="member-email" name="email" type="email" list="member-candidates"');
    expect(page.body).not.toContain('id="member-user"');
    const nobody = await b.post(`/admin/sites/${w.site.id}/members`, { email: 'nobody@example.com', role: 'viewer' });
    expect(nobody.statusCode).toBe(422);
    expect(nobody.body).toContain('id="member-email-error" class="field-error">Email matches no one');
    expect(nobody.body).toContain('value="nobody@example.com"');
    const empty = await b.post(`/admin/sites/${w.site.id}/members`, { email: '  ', role: 'viewer' });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('Email is required');
    expect(
      (await b.post(`/admin/sites/${w.site.id}/members`, { email: 'ZZ-Late@Example.com', role: 'technician' }))
        .statusCode,
    ).toBe(303);
    expect((await app.repos.sites.members(w.site.id)).find((m) => m.userId === late.id)?.role).toBe('technician');
    // Adding someone already on the list does not quietly change their role.
    const again = await b.post(`/admin/sites/${w.site.id}/members`, {
      email: w.technician.email.toUpperCase(),
      role: 'viewer',
    });
    expect(again.statusCode).toBe(422);
    expect(again.body).toContain('Email is already a member: change their role in the list.');
    expect((await app.repos.sites.members(w.site.id)).find((m) => m.userId === w.technician.id)?.role).toBe(
      'technician',
    );
  }, 30_000);

  it('When an admin action succeeds, then the page it lands on says what happened, in fixed words around stored names', async () => {
    const b = await signIn(app, w.admin.email);
    const follow = async (res: { statusCode: number; headers: Record<string, unknown> }) => {
      expect(res.statusCode).toBe(303);
      return (await b.get(String(res.headers.location))).body;
    };
    expect(
      await follow(
        await b.post('/admin/users', { email: 'done@example.com', name: 'Dana Done', password: 'long enough pw' }),
      ),
    ).toContain('Dana Done can now sign in.');
    expect(await follow(await b.post(`/admin/users/${w.viewer.id}/active`, { active: 'false' }))).toContain(
      'is deactivated and signed out everywhere; their API tokens are revoked.',
    );
    expect(await follow(await b.post(`/admin/users/${w.viewer.id}/active`, { active: 'true' }))).toContain(
      'can sign in again.',
    );
    expect(
      await follow(await b.post(`/admin/users/${w.viewer.id}/password`, { password: 'long enough pw' })),
    ).toContain('has a new password; their sessions have ended and their API tokens are revoked.');
    const site = w.site.id;
    expect(
      await follow(
        await b.post(`/admin/sites/${site}`, {
          name: 'Main Site',
          description: '',
          timezone: 'UTC',
          latitude: '',
          longitude: '',
        }),
      ),
    ).toContain('The site is saved.');
    expect(
      await follow(await b.post(`/admin/sites/${site}/members`, { userId: w.outsider.id, role: 'viewer' })),
    ).toMatch(/is now a viewer of this site\./);
    expect(await follow(await b.post(`/admin/sites/${site}/members/${w.outsider.id}`, { role: 'technician' }))).toMatch(
      /is now a technician of this site\./,
    );
    expect(await follow(await b.post(`/admin/sites/${site}/members/${w.outsider.id}/remove`, {}))).toMatch(
      /is no longer a member of this site\./,
    );
    // Only known words: anything else in the URL is refused, not shown.
    expect((await b.get('/admin?done=hacked&user=x')).statusCode).toBe(400);
    expect((await b.get(`/admin?done=user-created&user=usr_nobody`)).body).not.toContain('can now sign in');
  });

  it("When the admin opens a user's API tokens from the overview, then they are listed and one can be revoked, and the token stops working", async () => {
    const b = await signIn(app, w.admin.email);
    const overview = await b.get('/admin');
    expect(overview.body).toContain(`href="/admin/users/${w.viewer.id}/tokens"`);
    const [token] = await app.services.auth.listTokensOf((await app.services.auth.loadActor(w.admin.id))!, w.viewer.id);
    const page = await b.get(`/admin/users/${w.viewer.id}/tokens`);
    expect(page.statusCode).toBe(200);
    expect(page.headers.vary).toMatch(/HX-Request/);
    expect(page.body).toContain('API tokens of');
    expect(page.body).toContain(`Revoke token ${token.name}`);
    const revoked = await b.post(`/admin/users/${w.viewer.id}/tokens/${token.id}/revoke`, {});
    expect(revoked.statusCode).toBe(303);
    const after = await b.get(String(revoked.headers.location));
    expect(after.body).toContain('The token is revoked');
    expect(after.body).not.toContain(`Revoke token ${token.name}`);
    const me = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${w.viewer.token}` } });
    expect(me.statusCode).toBe(401);
    // The same form from a stale page: the list again, saying so, not an error page.
    const again = await b.post(`/admin/users/${w.viewer.id}/tokens/${token.id}/revoke`, {}, { headers: HX });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('That token no longer exists');
  });

  it("When a non-admin opens or posts to a user's token page, then 403 and nothing is revoked", async () => {
    const b = await signIn(app, w.technician.email);
    const [token] = await app.repos.tokens.listForUser(w.viewer.id);
    expect((await b.get(`/admin/users/${w.viewer.id}/tokens`)).statusCode).toBe(403);
    expect((await b.post(`/admin/users/${w.viewer.id}/tokens/${token.id}/revoke`, {})).statusCode).toBe(403);
    expect(await app.repos.tokens.listForUser(w.viewer.id)).toHaveLength(1);
  });

  it('When the admin resets a password or deactivates someone from the overview, then their tokens stop working', async () => {
    const b = await signIn(app, w.admin.email);
    expect((await b.post(`/admin/users/${w.viewer.id}/password`, { password: 'long enough pw' })).statusCode).toBe(303);
    expect((await b.post(`/admin/users/${w.technician.id}/active`, { active: 'false' })).statusCode).toBe(303);
    for (const user of [w.viewer, w.technician])
      expect(
        (await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${user.token}` } })).statusCode,
      ).toBe(401);
  });

  it('When the admin deactivates a user, then that user is signed out', async () => {
    const viewer = await signIn(app, w.viewer.email);
    const b = await signIn(app, w.admin.email);
    expect((await b.post(`/admin/users/${w.viewer.id}/active`, { active: 'false' })).statusCode).toBe(303);
    expect((await viewer.get('/sites')).statusCode).toBe(303);
  });

  it('When the admin creates a site, adds a member, changes the role and deletes the site, then each step sticks', async () => {
    const b = await signIn(app, w.admin.email);
    const bad = await b.post('/admin/sites', {
      name: 'Hamburg',
      timezone: 'Mars/Olympus',
      description: '',
      latitude: '',
      longitude: '',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="new-site-timezone-error"');
    const created = await b.post('/admin/sites', {
      name: 'Hamburg',
      timezone: 'Europe/Berlin',
      description: '',
      latitude: '53.5',
      longitude: '10',
    });
    expect(created.statusCode).toBe(303);
    const siteId = created.headers.location!.split('/').pop()!;
    expect((await b.post(`/admin/sites/${siteId}/members`, { userId: w.viewer.id, role: 'viewer' })).statusCode).toBe(
      303,
    );
    expect((await b.post(`/admin/sites/${siteId}/members/${w.viewer.id}`, { role: 'technician' })).statusCode).toBe(
      303,
    );
    expect((await b.get(`/admin/sites/${siteId}`)).body).toMatch(/value="technician" selected/);
    expect((await b.get(`/admin/sites/${siteId}/delete`)).body).toContain('Yes, delete this site');
    expect((await b.post(`/admin/sites/${siteId}/delete`, {})).statusCode).toBe(303);
    expect(await app.repos.sites.findById(siteId)).toBeNull();
  });

  it('When a member form is stale or crafted, then the admin page comes back with the message beside that form and nothing changes', async () => {
    const b = await signIn(app, w.admin.email);
    const siteId = w.site.id;
    const members = async () => (await app.repos.sites.members(siteId)).map((m) => `${m.userId}:${m.role}`).sort();
    const before = await members();

    // A person deleted after the page was drawn (an id of the right shape that names no one).
    const gone = await b.post(`/admin/sites/${siteId}/members`, {
      userId: 'usr_nobodyAtAll0000000000',
      role: 'viewer',
    });
    expect(gone.statusCode).toBe(422);
    expect(gone.body).toContain('id="member-user-error"');
    expect(gone.body).toContain('Person no longer exists');
    expect(gone.body).toMatch(/id="member-user" name="userId" required aria-invalid="true"/);

    // A role the select does not offer.
    const role = await b.post(`/admin/sites/${siteId}/members`, { userId: w.outsider.id, role: 'owner' });
    expect(role.statusCode).toBe(422);
    expect(role.body).toContain('id="member-role-error"');
    expect(role.body).toContain('Role is not one of the allowed values');

    const rowRole = await b.post(`/admin/sites/${siteId}/members/${w.viewer.id}`, { role: 'admin' });
    expect(rowRole.statusCode).toBe(422);
    expect(rowRole.body).toContain(`id="role-${w.viewer.id}-error"`);
    expect(rowRole.body).toMatch(new RegExp(`id="role-${w.viewer.id}" name="role" aria-invalid="true"`));
    expect(await members()).toEqual(before);

    // Removed twice (two admins on the same page): the second gets the page and a message, not an error page.
    expect((await b.post(`/admin/sites/${siteId}/members/${w.viewer.id}/remove`, {})).statusCode).toBe(303);
    const again = await b.post(`/admin/sites/${siteId}/members/${w.viewer.id}/remove`, {});
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('no longer a member of this site');
    expect(again.body).toContain('Add a member');
    expect(await members()).toEqual(before.filter((m) => !m.startsWith(`${w.viewer.id}:`)));

    // A role changed on the same stale page must not put the removed person back.
    const role2 = await b.post(`/admin/sites/${siteId}/members/${w.viewer.id}`, { role: 'technician' });
    expect(role2.statusCode).toBe(409);
    expect(role2.body).toContain('no longer a member of this site');
    expect(await members()).toEqual(before.filter((m) => !m.startsWith(`${w.viewer.id}:`)));
    // Nor a person deleted meanwhile (their membership went with them).
    await app.repos.users.delete(w.technician.id, null);
    const deleted = await b.post(`/admin/sites/${siteId}/members/${w.technician.id}`, { role: 'viewer' });
    expect(deleted.statusCode).toBe(409);
    expect(deleted.body).toContain('no longer a member of this site');
  });

  it('When a non-admin posts a bad member form, then the site still answers 403 to its members and 404 to others, with nothing of it', async () => {
    const tech = await signIn(app, w.technician.email);
    const outsider = await signIn(app, w.outsider.email);
    for (const [path, body] of [
      [`/admin/sites/${w.site.id}/members`, { userId: 'x', role: 'owner' }],
      [`/admin/sites/${w.site.id}/members/${w.viewer.id}`, { role: 'owner' }],
      [`/admin/sites/${w.site.id}/members/${w.outsider.id}/remove`, {}],
    ] as const) {
      const t = await tech.post(path, body);
      expect(t.statusCode).toBe(403);
      expect(t.body).not.toContain(w.viewer.email);
      const o = await outsider.post(path, body);
      expect(o.statusCode).toBe(404);
      expect(o.body).not.toContain('Main Site');
    }
  });
});
