import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld } from '../../helpers/app.js';
import { cookiesOf, csrfOf, HX, loginPage, signIn } from '../../helpers/pages.js';
import { sqlOf } from '../../helpers/sql.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const formHeaders = (cookie: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded' });

describe('GET /login', () => {
  it('When someone anonymous opens a page, then they are sent to /login with the page to come back to', async () => {
    const res = await app.inject({ url: `/sites/${w.site.id}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(`/sites/${w.site.id}`)}`);
  });

  it('When the login page is shown, then it is HTML with Vary, a strict CSP and no demo credentials outside demo mode', async () => {
    const res = await app.inject({ url: '/login' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.vary).toMatch(/HX-Request/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toMatch(/unsafe-(inline|eval)/);
    expect(res.body).toContain('<label for="login-email">Email</label>');
    expect(res.body).not.toContain('Demo accounts');
  });

  it('When a page loads, then its icon is ours (no 404 for a favicon in the console)', async () => {
    const page = await app.inject({ url: '/login' });
    expect(page.body).toContain('<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">');
    const icon = await app.inject({ url: '/assets/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });

  it('When an asset or a Swagger UI file is missing or not one we serve, then the answer is a problem+json 404, signed in or not (it was a 500)', async () => {
    const browser = await signIn(app, w.viewer.email);
    const urls = [
      '/assets/nope.js',
      '/assets/vendor/htmx/htmx.js',
      '/assets/vendor/uplot/nope.css',
      '/assets/vendor/pico/../../package.json',
      '/docs/static/nope.js',
      '/docs/static/index.html/',
    ];
    for (const url of urls) {
      for (const headers of [
        {},
        { cookie: browser.cookie },
        { authorization: `Bearer ${w.viewer.token}` },
        { cookie: browser.cookie, ...HX },
      ]) {
        const res = await app.inject({ url, headers });
        expect(res.statusCode, url).toBe(404);
        expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        expect(res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      }
    }
    expect((await app.inject({ url: '/assets/vendor/htmx/htmx.min.js' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/docs/static/index.css' })).statusCode).toBe(200);
  });

  it('When a static path is refused (a folder, a NUL byte), then the answer is problem+json like every error outside the pages, not Fastify’s own', async () => {
    for (const [url, status] of [
      ['/assets/', 403],
      ['/assets/%00', 400],
      ['/docs/static/%00', 403],
    ] as const) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(status);
      expect(res.headers['content-type'], url).toBe('application/problem+json; charset=utf-8');
      expect(res.json(), url).toMatchObject({
        status,
        code: expect.any(String),
        type: expect.stringMatching(/^urn:sitewatt:problem:/),
      });
    }
  });

  it('When the app runs in demo mode, then the demo credentials are shown', async () => {
    const demo = await buildTestApp({ demo: true });
    const res = await demo.inject({ url: '/login' });
    expect(res.body).toContain('Demo accounts');
    await demo.close();
  });
});

describe('POST /login', () => {
  it('When the password is wrong, then the form comes back with 401 and a clear message, keeping the email', async () => {
    const page = await app.inject({ url: '/login' });
    const cookie = cookiesOf(page);
    const res = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...formHeaders(cookie), ...HX },
      payload: `_csrf=${encodeURIComponent(csrfOf(page.body))}&email=${encodeURIComponent(w.viewer.email)}&password=nope`,
    });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('The email or password is not right');
    expect(res.body).toContain(`value="${w.viewer.email}"`);
    expect(res.body).not.toContain('<html');
  });

  it('When a field is over its limit or missing, then the form comes back (422) with the same words as a wrong password, not an error page', async () => {
    const page = await app.inject({ url: '/login' });
    expect(page.body).toContain('maxlength="254"');
    const cookie = cookiesOf(page);
    const csrf = `_csrf=${encodeURIComponent(csrfOf(page.body))}`;
    const long = `${'a'.repeat(300)}@example.com`;
    for (const [body, email] of [
      [`email=${long}&password=x&next=%2Fsubscriptions`, long.slice(0, 254)],
      [`email=${'b'.repeat(20)}&password=${'p'.repeat(300)}`, 'b'.repeat(20)],
      ['password=x', ''],
    ] as const) {
      for (const headers of [formHeaders(cookie), { ...formHeaders(cookie), ...HX }]) {
        const res = await app.inject({ method: 'POST', url: '/login', headers, payload: `${csrf}&${body}` });
        expect(res.statusCode).toBe(422);
        expect(res.body).toContain('The email or password is not right');
        expect(res.body).toContain(
          `id="login-email" type="email" name="email" autocomplete="username" maxlength="254" required value="${email}"`,
        );
        expect(res.body).not.toContain('Invalid body');
      }
    }
    const kept = await app.inject({
      method: 'POST',
      url: '/login',
      headers: formHeaders(cookie),
      payload: `${csrf}&email=${long}&password=x&next=%2Fsubscriptions`,
    });
    expect(kept.body).toContain('name="next" value="/subscriptions"');
  });

  it('When the form has no CSRF token, then it is refused with 403', async () => {
    const page = await app.inject({ url: '/login' });
    const res = await app.inject({
      method: 'POST',
      url: '/login',
      headers: formHeaders(cookiesOf(page)),
      payload: `email=${encodeURIComponent(w.viewer.email)}&password=x`,
    });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form has expired');
  });

  it('When next points to another origin, then sign-in still lands on the overview (/)', async () => {
    const page = await app.inject({ url: '/login' });
    const cookie = cookiesOf(page);
    const res = await app.inject({
      method: 'POST',
      url: '/login',
      headers: formHeaders(cookie),
      payload: `_csrf=${encodeURIComponent(csrfOf(page.body))}&email=${encodeURIComponent(w.viewer.email)}&password=correct%20horse%20battery&next=%2F%2Fevil.example`,
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
  });
});

describe('Anonymous visits store nothing', () => {
  const sessions = () => sqlOf(app).value<number>('SELECT count(*) FROM sessions');

  it('When 100 anonymous visitors open /login (or its htmx partial, or fail to sign in), then no session row is stored (each was one)', async () => {
    const cookies = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const res = await app.inject({ url: '/login', headers: i % 2 ? HX : {} });
      expect(res.statusCode).toBe(200);
      res.cookies.forEach((c) => cookies.add(c.name));
    }
    expect(await sessions()).toBe(0);
    expect([...cookies]).toEqual(['sitewatt.form']);
    const { page, cookie, csrf } = await loginPage(app);
    const wrong = await app.inject({
      method: 'POST',
      url: '/login',
      headers: formHeaders(cookie),
      payload: `_csrf=${encodeURIComponent(csrf)}&email=${encodeURIComponent(w.viewer.email)}&password=nope`,
    });
    expect(wrong.statusCode).toBe(401);
    expect(page.cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/login' });
    expect(await sessions()).toBe(0);
  });

  it('When the sign-in form is posted, then its token must match its own form cookie: missing, foreign or cookieless is 403, the right pair signs in', async () => {
    const mine = await loginPage(app);
    const theirs = await loginPage(app);
    const post = (cookie: string, csrf: string | null) =>
      app.inject({
        method: 'POST',
        url: '/login',
        headers: formHeaders(cookie),
        payload: `${csrf === null ? '' : `_csrf=${encodeURIComponent(csrf)}&`}email=${encodeURIComponent(w.viewer.email)}&password=correct%20horse%20battery`,
      });
    for (const [cookie, csrf] of [
      [mine.cookie, null],
      ['', mine.csrf],
      [mine.cookie, theirs.csrf],
      [mine.cookie, `${mine.csrf.slice(0, -2)}AA`],
      ['sitewatt.form=not-a-value-we-issued', mine.csrf],
    ] as const) {
      const res = await post(cookie, csrf);
      expect(res.statusCode, `${cookie} ${csrf}`).toBe(403);
      expect(res.body).toContain('This form has expired');
    }
    expect(await sessions()).toBe(0);
    const ok = await post(mine.cookie, mine.csrf);
    expect(ok.statusCode).toBe(303);
    expect(await sessions()).toBe(1);
    // Another visitor gets another token; the same one, back with its cookie, gets the same token.
    expect((await loginPage(app)).csrf).not.toBe(mine.csrf);
    expect(csrfOf((await app.inject({ url: '/login', headers: { cookie: mine.cookie } })).body)).toBe(mine.csrf);
  });
});

describe('Where sign-in returns to (next)', () => {
  // Location is a header: Node refuses characters past U+00FF in it, which answered 500.
  const wide = ['/sites?q=€', '/sites/\u2028', '/subscriptions#Ω', '/sites?q=%E2%82%AC€'];
  const encoded = (next: string) => new URL(next, 'http://x').href.slice('http://x'.length);

  it('When a signed-in visitor opens /login with a next above U+00FF, then it is a 303 to that path percent-encoded, with the security headers (it was 500)', async () => {
    const b = await signIn(app, w.viewer.email);
    for (const next of wide) {
      const res = await b.get(`/login?next=${encodeURIComponent(next)}`);
      expect(res.statusCode, next).toBe(303);
      expect(res.headers.location, next).toBe(encoded(next));
      expect(res.headers.location).toMatch(/^[\x21-\x7e]+$/);
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      const hx = await b.get(`/login?next=${encodeURIComponent(next)}`, HX);
      expect(hx.statusCode, next).toBe(303);
    }
  });

  it('When someone signs in with a next above U+00FF, then they land on that path percent-encoded and stay signed in (it was 500 and the session was lost)', async () => {
    for (const [next, headers] of [
      ['/sites?q=€', {}],
      ['/sites/\u2028x', HX],
    ] as const) {
      const page = await app.inject({ url: `/login?next=${encodeURIComponent(next)}` });
      expect(page.statusCode).toBe(200);
      const cookie = cookiesOf(page);
      const res = await app.inject({
        method: 'POST',
        url: '/login',
        headers: { ...formHeaders(cookie), ...headers },
        payload: `_csrf=${encodeURIComponent(csrfOf(page.body))}&email=${encodeURIComponent(w.viewer.email)}&password=correct%20horse%20battery&next=${encodeURIComponent(next)}`,
      });
      const target = res.headers.location ?? res.headers['hx-redirect'];
      expect(target, next).toBe(encoded(next));
      const session = res.cookies.find((c) => c.name === 'sitewatt.sid');
      expect(session).toBeDefined();
      const sites = await app.inject({ url: '/sites', headers: { cookie: `sitewatt.sid=${session!.value}` } });
      expect(sites.statusCode).toBe(200);
    }
  });

  it('When next leaves the site in a way only the URL parser sees (a tab in //, a backslash), then sign-in lands on the overview (/)', async () => {
    const b = await signIn(app, w.viewer.email);
    for (const next of ['/\t/evil.example', '/\\evil.example', '//evil.example', 'https://evil.example', '/\n/evil']) {
      const res = await b.get(`/login?next=${encodeURIComponent(next)}`);
      expect(res.headers.location, JSON.stringify(next)).toBe('/');
    }
  });
});

describe('POST /logout', () => {
  it('When a user signs out, then the session ends and pages send them to /login', async () => {
    const b = await signIn(app, w.viewer.email);
    const res = await b.post('/logout', {});
    expect(res.statusCode).toBe(303);
    expect((await b.get('/sites')).statusCode).toBe(303);
  });

  it('When sign-out comes without the CSRF token, then it is refused', async () => {
    const b = await signIn(app, w.viewer.email);
    expect((await b.post('/logout', {}, { csrf: null })).statusCode).toBe(403);
    expect((await b.get('/sites')).statusCode).toBe(200);
  });
});

describe('A form posted after the session ended', () => {
  it('When the session has ended, then a form goes to sign-in and back to the page it came from, not to "this form has expired", and nothing is written', async () => {
    const b = await signIn(app, w.technician.email);
    await app.repos.sessions.destroyForUser(w.technician.id);
    const before = (await app.repos.devices.list(w.site.id, 50))!.items.length;
    const res = await b.post(
      `/sites/${w.site.id}/devices`,
      { name: 'Late', type: 'meter' },
      { headers: { referer: `http://localhost:80/sites/${w.site.id}/devices/new` } },
    );
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(`/sites/${w.site.id}/devices/new`)}`);
    const hx = await b.post(
      `/sites/${w.site.id}/devices`,
      { name: 'Late', type: 'meter' },
      { headers: { ...HX, 'hx-current-url': `http://localhost/sites/${w.site.id}` } },
    );
    expect(hx.statusCode).toBe(204);
    expect(hx.headers['hx-redirect']).toBe(`/login?next=${encodeURIComponent(`/sites/${w.site.id}`)}`);
    // A referer from elsewhere is not followed.
    const foreign = await b.post(
      `/sites/${w.site.id}/devices`,
      { name: 'Late', type: 'meter' },
      { headers: { referer: 'https://evil.example/phish' } },
    );
    expect(foreign.headers.location).toBe(`/login?next=${encodeURIComponent('/')}`);
    expect((await app.repos.devices.list(w.site.id, 50))!.items).toHaveLength(before);
  });

  it("When an anonymous visitor posts a form (with the sign-in page's CSRF token), then it goes to sign-in before the form is read or validated", async () => {
    const page = await app.inject({ url: '/login' });
    const cookie = cookiesOf(page);
    const csrf = `_csrf=${encodeURIComponent(csrfOf(page.body))}`;
    for (const [url, body] of [
      [`/admin/users/${w.viewer.id}/active`, 'active=maybe'],
      [`/sites/${w.site.id}/devices`, '__proto__[polluted]=yes&metrics=x'],
      [`/devices/${w.device.id}`, 'version=abc'],
    ]) {
      const res = await app.inject({ method: 'POST', url, headers: formHeaders(cookie), payload: `${csrf}&${body}` });
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location, url).toMatch(/^\/login\?next=/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('When htmx reports a malformed or foreign current URL, then sign-in comes back to the page asked for, not a 500', async () => {
    for (const current of ['not a url', 'https://evil.example/phish']) {
      const res = await app.inject({ url: `/sites/${w.site.id}`, headers: { ...HX, 'hx-current-url': current } });
      expect(res.statusCode, current).toBe(204);
      expect(res.headers['hx-redirect'], current).toBe(`/login?next=${encodeURIComponent(`/sites/${w.site.id}`)}`);
    }
  });

  it('When the user signs out after the session has ended, then they land on the sign-in page', async () => {
    const b = await signIn(app, w.viewer.email);
    await app.repos.sessions.destroyForUser(w.viewer.id);
    const res = await b.post('/logout', {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
  });

  it('When a signed-in user posts without the CSRF token, then it is still refused', async () => {
    const b = await signIn(app, w.technician.email);
    const res = await b.post(`/sites/${w.site.id}/devices`, { name: 'Forged', type: 'meter' }, { csrf: null });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form has expired');
  });
});

describe('JSON API', () => {
  it('When a form body is sent to /api, then it is refused with 415: forms exist only for pages', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=a&password=b',
    });
    expect(res.statusCode).toBe(415);
  });
});
