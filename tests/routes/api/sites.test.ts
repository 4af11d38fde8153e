import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { addMember, buildTestApp, createSite, createWorld, injectAs, type TestUser } from '../../helpers/app.js';
import { count, expectInvalid, expectProblem, snapshot } from './support.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

describe('GET /api/sites/:siteId', () => {
  it('When a viewer of the site asks, then it gets the site with its role and device count', async () => {
    const res = await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: w.site.id,
      name: 'Main Site',
      role: 'viewer',
      deviceCount: 1,
      timezone: 'Europe/Berlin',
    });
  });

  it('When a non-member asks, then it gets exactly the 404 of a site that does not exist', async () => {
    const hidden = await injectAs(app, w.outsider, { method: 'GET', url: `/api/sites/${w.site.id}` });
    const missing = await injectAs(app, w.outsider, { method: 'GET', url: '/api/sites/site_doesnotexist' });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(hidden.body).toBe(missing.body);
    expect(hidden.body).not.toContain('Main Site');
  });

  it('When nobody is signed in, then it gets 401', async () => {
    const res = await injectAs(app, null, { method: 'GET', url: `/api/sites/${w.site.id}` });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
  });
});

describe('GET /api/sites', () => {
  it('When each role lists sites, then admins see all, members only their sites with their role', async () => {
    const names = async (user: TestUser) =>
      (await injectAs(app, user, { method: 'GET', url: '/api/sites' }))
        .json()
        .items.map((s: { name: string; role: string }) => `${s.name}:${s.role}`);
    expect(await names(w.admin)).toEqual(['Main Site:admin', 'Other Site:admin']);
    expect(await names(w.technician)).toEqual(['Main Site:technician']);
    expect(await names(w.viewer)).toEqual(['Main Site:viewer']);
    expect(await names(w.outsider)).toEqual(['Other Site:technician']);
  });

  it('When there are more sites than the limit, then walking the cursor returns every site exactly once, by name, and ends with nextCursor null', async () => {
    for (let i = 0; i < 12; i++) await createSite(app, { name: `Paged ${String(i % 4)}` });
    const expected = (await app.repos.sites.list({ visibleTo: null, limit: 200 }))!.items.map((s) => s.id);
    expect(expected).toHaveLength(14);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await injectAs(app, w.admin, {
        method: 'GET',
        url: `/api/sites?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().items.length).toBeLessThanOrEqual(5);
      seen.push(...res.json().items.map((s: { id: string }) => s.id));
      cursor = res.json().nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
  });

  it('When a member pages through sites, then the cursor never reveals sites they are not a member of', async () => {
    for (let i = 0; i < 5; i++)
      await addMember(app, (await createSite(app, { name: `Mine ${i}` })).id, w.viewer.id, 'viewer');
    for (let i = 0; i < 5; i++) await createSite(app, { name: `Mine ${i} hidden` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await injectAs(app, w.viewer, {
        method: 'GET',
        url: `/api/sites?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      seen.push(...res.json().items.map((s: { name: string }) => s.name));
      cursor = res.json().nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(['Main Site', 'Mine 0', 'Mine 1', 'Mine 2', 'Mine 3', 'Mine 4']);
  });

  it('When q is given, then only names containing it match, case-insensitively, and % and _ are taken literally', async () => {
    for (const name of ['100% Solar', '1000 Solar', 'wind_park', 'windXpark', 'Harbour'])
      await createSite(app, { name });
    const search = async (q: string) =>
      (await injectAs(app, w.admin, { method: 'GET', url: `/api/sites?q=${encodeURIComponent(q)}` }))
        .json()
        .items.map((s: { name: string }) => s.name);
    expect(await search('solar')).toEqual(['100% Solar', '1000 Solar']);
    expect(await search('100%')).toEqual(['100% Solar']);
    expect(await search('%')).toEqual(['100% Solar']);
    expect(await search('d_p')).toEqual(['wind_park']);
    expect(await search('_')).toEqual(['wind_park']);
    expect(await search('\\')).toEqual([]);
    expect(await search('   ')).toHaveLength(7);
  });
});

describe('POST /api/sites', () => {
  it('When an admin creates a site, then it gets 201 with a Location, trimmed name, UTC by default, and it can be read back', async () => {
    const res = await injectAs(app, w.admin, {
      method: 'POST',
      url: '/api/sites',
      payload: { name: '  New Site ', latitude: 47.1, longitude: 8.2 },
    });
    expect(res.statusCode).toBe(201);
    const site = res.json();
    expect(site).toMatchObject({
      name: 'New Site',
      timezone: 'UTC',
      description: '',
      latitude: 47.1,
      longitude: 8.2,
      role: 'admin',
      deviceCount: 0,
    });
    expect(res.headers.location).toBe(`/api/sites/${site.id}`);
    expect((await injectAs(app, w.admin, { method: 'GET', url: res.headers.location as string })).json()).toEqual(site);
  });
});

describe('Site time zones', () => {
  it('When a zone is typed in another case, then it is stored as IANA spells it; a name ICU would alias is kept as given', async () => {
    const created = await injectAs(app, w.admin, {
      method: 'POST',
      url: '/api/sites',
      payload: { name: 'Lower', timezone: 'europe/berlin' },
    });
    expect(created.json().timezone).toBe('Europe/Berlin');
    const modern = await injectAs(app, w.admin, {
      method: 'PATCH',
      url: `/api/sites/${w.site.id}`,
      payload: { timezone: 'America/Argentina/Buenos_Aires' },
    });
    expect(modern.json().timezone).toBe('America/Argentina/Buenos_Aires');
    const utc = await injectAs(app, w.admin, {
      method: 'PATCH',
      url: `/api/sites/${w.site.id}`,
      payload: { timezone: 'utc' },
    });
    expect(utc.json().timezone).toBe('UTC');
  });
});

describe('PATCH /api/sites/:siteId', () => {
  it('When an admin changes only the description, then the other fields stay', async () => {
    const res = await injectAs(app, w.admin, {
      method: 'PATCH',
      url: `/api/sites/${w.site.id}`,
      payload: { description: 'Harbour side' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Main Site',
      description: 'Harbour side',
      timezone: 'Europe/Berlin',
      latitude: 52.5,
    });
  });

  it('When an admin clears both coordinates, then they become null', async () => {
    const res = await injectAs(app, w.admin, {
      method: 'PATCH',
      url: `/api/sites/${w.site.id}`,
      payload: { latitude: null, longitude: null },
    });
    expect(res.json()).toMatchObject({ latitude: null, longitude: null });
  });
});

describe('DELETE /api/sites/:siteId', () => {
  it('When an admin deletes a site, then its devices, metrics and memberships go too and members lose it', async () => {
    const res = await injectAs(app, w.admin, { method: 'DELETE', url: `/api/sites/${w.site.id}` });
    expect(res.statusCode).toBe(204);
    expect(await count(app, 'devices')).toBe(0);
    expect(await count(app, 'metrics')).toBe(0);
    expectProblem(
      await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}` }),
      404,
      'SITE_NOT_FOUND',
    );
    expect((await injectAs(app, w.viewer, { method: 'GET', url: '/api/me' })).json().memberships).toEqual([]);
  });
});

describe('Site members', () => {
  it('When an admin adds a member, then it gets 201, a role change gets 200, and the new member can see the site', async () => {
    const url = `/api/sites/${w.site.id}/members/${w.outsider.id}`;
    const added = await injectAs(app, w.admin, { method: 'PUT', url, payload: { role: 'viewer' } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ userId: w.outsider.id, email: w.outsider.email, role: 'viewer' });
    expect((await injectAs(app, w.outsider, { method: 'GET', url: `/api/sites/${w.site.id}` })).json().role).toBe(
      'viewer',
    );
    const changed = await injectAs(app, w.admin, { method: 'PUT', url, payload: { role: 'technician' } });
    expect(changed.statusCode).toBe(200);
    const list = await injectAs(app, w.admin, { method: 'GET', url: `/api/sites/${w.site.id}/members` });
    expect(
      list
        .json()
        .items.map((m: { userId: string; role: string }) => [m.userId, m.role])
        .sort(),
    ).toEqual(
      [
        [w.technician.id, 'technician'],
        [w.viewer.id, 'viewer'],
        [w.outsider.id, 'technician'],
      ].sort(),
    );
  });

  it('When an admin removes a member, then the former member gets the 404 of a missing site', async () => {
    expect(
      (await injectAs(app, w.admin, { method: 'DELETE', url: `/api/sites/${w.site.id}/members/${w.viewer.id}` }))
        .statusCode,
    ).toBe(204);
    const hidden = await injectAs(app, w.viewer, { method: 'GET', url: `/api/sites/${w.site.id}` });
    const missing = await injectAs(app, w.viewer, { method: 'GET', url: '/api/sites/site_nope' });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body).toBe(missing.body);
  });

  it('When the user does not exist or is not a member, then PUT gets USER_NOT_FOUND and DELETE MEMBER_NOT_FOUND, and nothing is stored', async () => {
    const before = await snapshot(app);
    expectProblem(
      await injectAs(app, w.admin, {
        method: 'PUT',
        url: `/api/sites/${w.site.id}/members/usr_nope`,
        payload: { role: 'viewer' },
      }),
      404,
      'USER_NOT_FOUND',
    );
    expectProblem(
      await injectAs(app, w.admin, { method: 'DELETE', url: `/api/sites/${w.site.id}/members/${w.outsider.id}` }),
      404,
      'MEMBER_NOT_FOUND',
    );
    expectInvalid(
      await injectAs(app, w.admin, {
        method: 'PUT',
        url: `/api/sites/${w.site.id}/members/${w.outsider.id}`,
        payload: { role: 'admin' },
      }),
      '/role',
    );
    expect(await snapshot(app)).toEqual(before);
  });
});
