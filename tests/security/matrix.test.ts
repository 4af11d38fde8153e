// The authorization matrix, generated from Fastify's own route table.
// Every registered route (API, pages, static files, docs) is called by every actor; a route with no
// declaration in matrix-declarations.ts fails here by name, so a new route cannot slip past.
// Pass: each answer is the declared one; nothing a caller may not see (ids, names, counts) appears in
// a body or header; a hidden object answers exactly like a missing id; a refused call stores nothing;
// an allowed change to users, sites, memberships, devices or metrics leaves audit rows naming the caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { DECLARATIONS, type Access, type Declaration } from './matrix-declarations.js';
import { AUDITED, call, normalize, watchAudit, watchWrites, type Response } from './matrix-http.js';
import { registeredRoutes } from './matrix-routes.js';
import {
  ACTORS,
  createCast,
  INGEST_KEYS,
  createTarget,
  idsOf,
  missingLike,
  secretsFor,
  SIGNED_IN,
  type ActorName,
  type Cast,
  type Target,
} from './matrix-world.js';

const METRICS_TOKEN = 'matrix-metrics-token-0123456789';

type Outcome = 'ok' | 'unauthenticated' | 'forbidden' | 'hidden';

function outcome(access: Access, actor: ActorName, api: boolean): Outcome {
  if (access.kind === 'metrics-token') return 'unauthenticated';
  // An ingest key opens its telemetry routes and nothing else (pages ignore it, like any bearer).
  if (INGEST_KEYS.includes(actor)) {
    if (actor === 'revoked-key' || !api) return access.kind === 'public' && !api ? 'ok' : 'unauthenticated';
    if (access.kind === 'telemetry') return actor === 'site-key' ? 'ok' : 'hidden';
    if (access.kind === 'device-key') return actor === 'other-key' ? 'ok' : 'forbidden';
    return 'unauthenticated';
  }
  // An invalid bearer token is refused on every /api route, public ones included: never a silent fall-back.
  if (access.kind === 'public') return api && actor === 'revoked-token' ? 'unauthenticated' : 'ok';
  if (!SIGNED_IN.includes(actor)) return 'unauthenticated';
  const member = actor === 'admin' || actor === 'technician' || actor === 'viewer';
  switch (access.kind) {
    case 'self':
      return 'ok';
    case 'session':
      return api ? 'forbidden' : 'ok';
    case 'admin':
      return actor === 'admin' ? 'ok' : 'forbidden';
    case 'site-admin':
      return actor === 'admin' ? 'ok' : member ? 'forbidden' : 'hidden';
    case 'site-read':
      return member ? 'ok' : 'hidden';
    case 'site-write':
    case 'telemetry':
      return actor === 'admin' || actor === 'technician' ? 'ok' : member ? 'forbidden' : 'hidden';
    case 'device-key':
      return 'forbidden';
    case 'owner':
      return actor === 'technician' ? 'ok' : 'hidden';
  }
}

/** A form whose session has died since it was loaded is refused as expired (403), which is as good as /login. */
const csrfRefused = (res: Response) => res.statusCode === 403 && res.body.includes('This form has expired');

function expectOutcome(
  res: Response,
  expected: Outcome,
  decl: Declaration,
  api: boolean,
  method: string,
  actor: ActorName,
) {
  const what = `${res.statusCode} ${res.headers['content-type'] ?? ''} ${res.headers.location ?? ''}\n${res.body.slice(0, 600)}`;
  const hiddenStatus = 'hidden' in decl.access && decl.access.hidden ? decl.access.hidden : 404;
  if (decl.access.kind === 'metrics-token') return expect(res.statusCode, what).toBe(401);
  if (!api && method === 'POST' && actor.startsWith('expired-') && csrfRefused(res)) return;
  if (expected === 'ok') {
    expect(res.statusCode, what).toBeGreaterThanOrEqual(200);
    expect(res.statusCode, what).toBeLessThan(api ? 300 : 400);
    if (decl.access.kind !== 'public') expect(String(res.headers.location ?? ''), what).not.toMatch(/^\/login/);
    return;
  }
  if (api) {
    const status = { unauthenticated: 401, forbidden: 403, hidden: hiddenStatus }[expected];
    expect(res.statusCode, what).toBe(status);
    expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
    const code = {
      unauthenticated: 'UNAUTHENTICATED',
      forbidden: decl.access.kind === 'session' ? 'SESSION_REQUIRED' : 'FORBIDDEN',
      hidden: status === 422 ? 'VALIDATION_FAILED' : undefined,
    }[expected];
    if (code) expect(JSON.parse(res.body).code, what).toBe(code);
    return;
  }
  if (expected === 'unauthenticated') {
    expect(res.statusCode, what).toBe(303);
    expect(String(res.headers.location), what).toMatch(method === 'GET' ? /^\/login\?next=%2F/ : /^\/login\?next=/);
    return;
  }
  expect(res.statusCode, what).toBe(expected === 'forbidden' ? 403 : hiddenStatus);
  expect(res.headers['content-type'], what).toMatch(/^text\/html/);
}

/** Ids the caller itself sent may come back (a 404 for /sites/x may say /sites/x); nothing else may. */
function expectNoSecrets(res: Response, secrets: string[], sent: string) {
  const text = `${JSON.stringify(res.headers)}\n${res.body}`;
  const leaked = secrets.filter((s) => !sent.includes(s) && text.includes(s));
  expect(leaked, `leaked to this caller:\n${text.slice(0, 1500)}`).toEqual([]);
}

interface World {
  app: App;
  cast: Cast;
  /** Listening, for the streams: inject() cannot read a response that never ends. */
  port: number;
  startWatch: () => Promise<() => Promise<string[]>>;
  startAudit: () => Promise<() => Promise<(string | null)[]>>;
}

// One app (one fresh database) per group of routes, e.g. /api/sites or /admin, rather than ~90
// apps; every call still acts on its own fresh target with fresh credentials, so no call sees another's.
const worlds = new Map<string, Promise<World>>();
const groupOf = (url: string) =>
  url
    .split('/')
    .slice(0, url.startsWith('/api/') ? 3 : 2)
    .join('/');

// Grouped by their world (worldFor), so each group's world is made once and closed when the next begins.
const ROUTES = (await registeredRoutes()).sort(
  (a, b) => groupOf(a.url).localeCompare(groupOf(b.url)) || a.key.localeCompare(b.key),
);

async function worldFor(url: string): Promise<World> {
  const group = groupOf(url);
  let world = worlds.get(group);
  if (!world) {
    // One world open at a time: on PostgreSQL each holds a pool and a listening connection, and
    // thirty of them at once would pass the server's connection limit. Routes come grouped (ROUTES), so
    // each group's world is made once.
    for (const [other, open] of worlds) {
      worlds.delete(other);
      await (await open).app.close();
    }
    world = (async () => {
      const app = await buildTestApp({ metricsToken: METRICS_TOKEN });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return {
        app,
        cast: await createCast(app),
        port: (app.server.address() as AddressInfo).port,
        startWatch: await watchWrites(app),
        startAudit: watchAudit(app),
      };
    })();
    worlds.set(group, world);
  }
  return world;
}

afterAll(async () => {
  await Promise.all([...worlds.values()].map(async (w) => (await w).app.close()));
});

describe('the route table', () => {
  it('lists the API, the pages and the static files, each with a declaration that names a live route', () => {
    const keys = new Set(ROUTES.map((r) => r.key));
    for (const k of [
      'GET /api/sites/:siteId',
      'GET /sites/:siteId',
      'GET /assets/*',
      'GET /api/subscriptions/:subscriptionId/stream',
    ])
      expect(keys).toContain(k);
    expect(
      Object.keys(DECLARATIONS).filter((k) => !keys.has(k)),
      'declarations for routes that do not exist',
    ).toEqual([]);
  });
});

describe.each(ROUTES.map((r) => [r.key, r] as const))('%s', (key, route) => {
  const decl = DECLARATIONS[key];
  it('has a declared access', () => {
    expect(decl, `${key} is registered but has no entry in tests/security/matrix-declarations.ts`).toBeDefined();
  });
  if (!decl) return;

  const api = route.url.startsWith('/api/');
  let app: App;
  let cast: Cast;
  let port = 0;
  let startWatch: World['startWatch'];
  let startAudit: World['startAudit'];
  beforeAll(async () => {
    ({ app, cast, port, startWatch, startAudit } = await worldFor(route.url));
  });

  for (const actor of ACTORS) {
    it(`as ${actor}`, async () => {
      const expected = outcome(decl.access, actor, api);
      const t = await createTarget(app, cast);
      for (const query of decl.queries ?? ['']) {
        const ctx = { app, cast, actor, route, decl, query, port };
        const writes = await startWatch();
        const audits = await startAudit();
        const res = await call(ctx, t);
        const written = await writes();
        expectOutcome(res, expected, decl, api, route.method, actor);
        expectNoSecrets(res, secretsFor(actor, t), res.sent);
        if (expected !== 'ok' || route.method === 'GET')
          expect(written, 'a refused call or a read changed the database').toEqual([]);
        else if (written.some((w) => AUDITED.test(w))) {
          const actors = await audits();
          expect(actors.length, `${written.join(', ')} without an audit row`).toBeGreaterThan(0);
          expect(new Set(actors), 'an audit row that does not name the caller').toEqual(
            new Set([userIdOf(cast, actor)]),
          );
        }
        if ((expected === 'hidden' || expected === 'unauthenticated') && sendsIds(res.sent, t)) {
          // Byte for byte what a missing id gets: nothing tells a hidden object from none at all.
          const missing = missingLike(t);
          expect(normalize(res, t), 'differs from the answer for a missing id').toEqual(
            normalize(await call(ctx, missing), missing),
          );
        }
      }
    });
  }
});

/** The user an actor acts as (null: nobody is signed in). */
function userIdOf(cast: Cast, actor: ActorName): string | null {
  if (actor === 'former-member') return cast.former.id;
  if (actor === 'expired-idle' || actor === 'expired-absolute') return cast.technician.id;
  if (actor === 'anonymous' || actor === 'revoked-token') return null;
  if (actor === 'site-key' || actor === 'other-key' || actor === 'revoked-key') return null;
  return cast[actor].id;
}

const sendsIds = (sent: string, t: Target) => idsOf(t).some(([id]) => sent.includes(id));
