// Every HTML page (GET), read from Fastify's route table, with query values past U+00FF in each
// parameter it declares (and in `next`, which sign-in puts into Location): signed in, anonymous and
// as an htmx swap. Node refuses such characters in a header, so a value that reaches one unencoded
// answers a raw 500 without our security headers. Pass: no 5xx, helmet's policy on every answer.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { createWorld, injectAs } from '../helpers/app.js';
import { HX, signIn, type Browser } from '../helpers/pages.js';
import { buildAppCollectingRoutes } from './matrix-routes.js';

const NOT_PAGES = /^\/(api|docs|assets|healthz|readyz|metrics|openapi\.json)(\/|$)|\*/;
/** Above Latin-1: the euro sign, a line separator, Greek, CJK, an emoji (a surrogate pair), U+0100. */
const WIDE = ['€', '\u2028', 'Ω', '日本', '💥', '\u0100'];

let app: App;
let pages: { url: string; query: string[] }[];
let admin: Browser;

beforeAll(async () => {
  const built = await buildAppCollectingRoutes(testConfig());
  app = built.app;
  const w = await createWorld(app);
  const sub = await injectAs(app, w.admin, {
    method: 'POST',
    url: '/api/subscriptions',
    payload: { name: 'Wide', metricIds: [w.metrics[0].id] },
  });
  const ids: Record<string, string> = {
    siteId: w.site.id,
    deviceId: w.device.id,
    metricId: w.metrics[0].id,
    userId: w.viewer.id,
    subscriptionId: sub.json<{ id: string }>().id,
  };
  pages = [...built.seen]
    .filter((key) => key.startsWith('GET ') && !NOT_PAGES.test(key.slice(4)))
    .map((key) => ({
      url: key.slice(4).replace(/:(\w+)/g, (_, name: string) => ids[name] ?? 'x'),
      query: [...new Set([...(built.queries.get(key) ?? []), 'next'])],
    }));
  admin = await signIn(app, w.admin.email);
});
afterAll(() => app.close());

async function expectHandled(url: string, headers: Record<string, string>) {
  const res = await app.inject({ url, headers });
  expect(res.statusCode, `${url} ${JSON.stringify(headers)}`).toBeLessThan(500);
  expect(res.headers['content-security-policy'], url).toContain("default-src 'self'");
  for (const name of ['location', 'hx-redirect']) {
    const value = res.headers[name];
    if (typeof value === 'string') expect(value, url).toMatch(/^[\x21-\x7e]*$/);
  }
}

describe('Every page with query values above U+00FF', () => {
  it('When the route table is read, then it lists the pages this covers', () => {
    expect(pages.map((p) => p.url)).toEqual(expect.arrayContaining(['/login', '/sites', '/admin']));
    expect(pages.length).toBeGreaterThanOrEqual(18);
  });

  it('When each page gets each wide value in each of its query parameters, signed in, anonymous or by htmx, then none answers 5xx', async () => {
    for (const { url, query } of pages)
      for (const name of query)
        for (const value of WIDE)
          for (const headers of [{ cookie: admin.cookie }, {}, { cookie: admin.cookie, ...HX }] as Record<
            string,
            string
          >[])
            for (const v of [value, `/${value}`, `/sites?q=${value}`])
              await expectHandled(`${url}?${new URLSearchParams({ [name]: v })}`, headers);
  });

  it('When pages get any text with a character above U+00FF in several parameters at once, then none answers 5xx (property)', async () => {
    const wide = fc
      .tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom(...WIDE), fc.boolean())
      .map(([text, w, slash]) => `${slash ? '/' : ''}${text}${w}`);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...pages),
        fc.dictionary(fc.constantFrom('next', 'q', 'type', 'done', 'user', 'range', 'from', 'to'), wide),
        fc.boolean(),
        async (page, params, signedIn) => {
          const kept = Object.fromEntries(Object.entries(params).filter(([k]) => page.query.includes(k)));
          await expectHandled(`${page.url}?${new URLSearchParams(kept)}`, signedIn ? { cookie: admin.cookie } : {});
        },
      ),
      { numRuns: 150 },
    );
  });
});
