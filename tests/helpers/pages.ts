// Signing in through the login page and posting forms the way a browser does.
import type { App } from '../../src/app.js';
import { PASSWORD } from './app.js';

type Res = Awaited<ReturnType<App['inject']>>;

export interface Browser {
  cookie: string;
  csrf: string;
  get(url: string, headers?: Record<string, string>): Promise<Res>;
  post(
    url: string,
    fields: Record<string, string | number | boolean | string[]>,
    opts?: { csrf?: string | null; headers?: Record<string, string> },
  ): Promise<Res>;
}

/** Form fields as a browser encodes them; a list repeats its name (checkboxes). */
const form = (fields: Record<string, string | number | boolean | string[]>) =>
  new URLSearchParams(
    Object.entries(fields).flatMap(([k, v]): [string, string][] =>
      Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, String(v)]],
    ),
  ).toString();

export const csrfOf = (html: string) =>
  /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** The Cookie header a browser would send back after this response (its Set-Cookie values). */
export const cookiesOf = (res: Res) => res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');

/** The sign-in page as an anonymous browser gets it: its form cookie and the form's CSRF token. */
export async function loginPage(app: App, url = '/login') {
  const page = await app.inject({ url });
  return { page, cookie: cookiesOf(page), csrf: csrfOf(page.body) };
}

/** A cookie jar of one: the login page's form cookie, then the signed-in session. */
export async function signIn(app: App, email: string, password = PASSWORD): Promise<Browser> {
  const { page, cookie: formCookie } = await loginPage(app);
  let cookie = formCookie;
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ _csrf: csrfOf(page.body), email, password, next: '/sites' }),
  });
  if (res.statusCode !== 303) throw new Error(`sign-in failed: ${res.statusCode}`);
  cookie = `sitewatt.sid=${res.cookies.find((c) => c.name === 'sitewatt.sid')?.value}`;
  const sites = await app.inject({ url: '/sites', headers: { cookie } });
  const browser: Browser = {
    cookie,
    csrf: csrfOf(sites.body),
    get: (url, headers = {}) => app.inject({ url, headers: { cookie, ...headers } }),
    post: (url, fields, opts = {}) =>
      app.inject({
        method: 'POST',
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...(opts.headers ?? {}) },
        payload: form(opts.csrf === null ? fields : { _csrf: opts.csrf ?? browser.csrf, ...fields }),
      }),
  };
  return browser;
}

/** htmx's request headers for a partial swap. */
export const HX = { 'hx-request': 'true', 'hx-request-type': 'partial' };
