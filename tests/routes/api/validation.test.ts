// Bodies are strict (no coercion, no unknown fields: 422); query strings and paths are 400; never a 500.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs, loginCookie } from '../../helpers/app.js';
import { expectInvalid, expectProblem, snapshot, type World } from './support.js';

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  cookie = undefined;
});
afterEach(() => app.close());

interface Write {
  method: 'POST' | 'PUT' | 'PATCH';
  route: string;
  url: (w: World) => string;
  valid: Record<string, unknown>;
  /** A field sent with a value of the wrong JSON type, which must not be coerced. */
  wrongType: [string, unknown];
  /** Sent with the admin's session cookie rather than a token (minting tokens takes a session). */
  session?: true;
}

const WRITES: Write[] = [
  {
    method: 'POST',
    route: '/api/sites',
    url: () => '/api/sites',
    valid: { name: 'New Site' },
    wrongType: ['name', 123],
  },
  {
    method: 'PATCH',
    route: '/api/sites/:siteId',
    url: (w) => `/api/sites/${w.site.id}`,
    valid: { name: 'Renamed' },
    wrongType: ['latitude', '52.5'],
  },
  {
    method: 'PUT',
    route: '/api/sites/:siteId/members/:userId',
    url: (w) => `/api/sites/${w.site.id}/members/${w.outsider.id}`,
    valid: { role: 'viewer' },
    wrongType: ['role', 1],
  },
  {
    method: 'POST',
    route: '/api/sites/:siteId/devices',
    url: (w) => `/api/sites/${w.site.id}/devices`,
    valid: { name: 'Meter', type: 'meter' },
    wrongType: ['name', 123],
  },
  {
    method: 'PATCH',
    route: '/api/devices/:deviceId',
    url: (w) => `/api/devices/${w.device.id}`,
    valid: { name: 'Renamed' },
    wrongType: ['name', ['Renamed']],
  },
  {
    method: 'POST',
    route: '/api/devices/:deviceId/metrics',
    url: (w) => `/api/devices/${w.device.id}/metrics`,
    valid: { key: 'voltage', name: 'Voltage', unit: 'V' },
    wrongType: ['intervalSeconds', '60'],
  },
  {
    method: 'PATCH',
    route: '/api/metrics/:metricId',
    url: (w) => `/api/metrics/${w.metrics[0].id}`,
    valid: { name: 'SoC' },
    wrongType: ['intervalSeconds', 60.5],
  },
  {
    method: 'POST',
    route: '/api/users',
    url: () => '/api/users',
    valid: { email: 'new@example.com', name: 'New', password: 'long enough secret' },
    wrongType: ['isAdmin', 'true'],
  },
  {
    method: 'PATCH',
    route: '/api/users/:userId',
    url: (w) => `/api/users/${w.viewer.id}`,
    valid: { name: 'Renamed' },
    wrongType: ['active', 0],
  },
  {
    method: 'POST',
    route: '/api/me/tokens',
    url: () => '/api/me/tokens',
    valid: { name: 'script' },
    wrongType: ['expiresInDays', '30'],
    session: true,
  },
];

let cookie: string | undefined;
const send = async (write: Write, payload: unknown) =>
  injectAs(app, write.session ? null : w.admin, {
    method: write.method,
    url: write.url(w),
    headers: {
      'content-type': 'application/json',
      ...(write.session ? { cookie: (cookie ??= await loginCookie(app, w.admin.email)) } : {}),
    },
    payload: JSON.stringify(payload),
  });

describe.each(WRITES.map((x) => [`${x.method} ${x.route}`, x] as const))('%s', (_name, write) => {
  it(`When the body has an unknown field or ${write.wrongType[0]} of the wrong JSON type, then it gets 422 naming the field and nothing is stored`, async () => {
    const before = await snapshot(app);
    const unknown = expectInvalid(await send(write, { ...write.valid, isOwner: true }), '/isOwner');
    expect(unknown.errors).toContainEqual({ path: '/isOwner', message: 'is not an allowed field' });
    expectInvalid(
      await send(write, { ...write.valid, [write.wrongType[0]]: write.wrongType[1] }),
      `/${write.wrongType[0]}`,
    );
    expect(await snapshot(app)).toEqual(before);
    // The same body without the fault is accepted, so the 422s above were for the fault alone.
    expect((await send(write, write.valid)).statusCode).toBeLessThan(300);
  });
});

describe('Bodies that are not JSON objects', () => {
  it('When any write gets malformed JSON, then it gets 400 MALFORMED_JSON', async () => {
    for (const write of WRITES) {
      const res = await injectAs(app, w.admin, {
        method: write.method,
        url: write.url(w),
        headers: { 'content-type': 'application/json' },
        payload: '{"name": ',
      });
      expectProblem(res, 400, 'MALFORMED_JSON');
    }
  });

  it('When any write gets null, an array, a string, a number or deep nesting, then it gets 4xx, never a 500, and nothing is stored', async () => {
    const before = await snapshot(app);
    for (const write of WRITES) {
      for (const payload of [null, [], 'text', 42, true, { [write.wrongType[0]]: { nested: { deep: [1, null] } } }]) {
        const res = await send(write, payload);
        expect(res.statusCode, `${write.method} ${write.route} ${JSON.stringify(payload)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${write.method} ${write.route} ${JSON.stringify(payload)}`).toBeLessThan(500);
      }
    }
    expect(await snapshot(app)).toEqual(before);
  });
});

describe('Validation details', () => {
  it('When several fields are wrong, then every one is reported with a JSON-pointer path', async () => {
    const res = await injectAs(app, w.admin, {
      method: 'POST',
      url: '/api/sites',
      payload: { name: '', latitude: 91, longitude: 'east' },
    });
    const body = expectInvalid(res, '/name');
    expect(body.errors!.map((e) => e.path).sort()).toEqual(['/latitude', '/longitude', '/name']);
  });

  it('When a required field is missing, then the error names it', async () => {
    const res = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/sites/${w.site.id}/devices`,
      payload: { name: 'No type' },
    });
    expect(expectInvalid(res, '/type').errors).toContainEqual({ path: '/type', message: 'is required' });
  });

  it('When a name is only spaces, then it gets 422', async () => {
    expectInvalid(
      await injectAs(app, w.admin, { method: 'POST', url: '/api/sites', payload: { name: '   ' } }),
      '/name',
    );
  });

  it('When a site gets an unknown time zone or latitude without longitude, then it gets 422 naming the field', async () => {
    expectInvalid(
      await injectAs(app, w.admin, {
        method: 'POST',
        url: '/api/sites',
        payload: { name: 'X', timezone: 'Mars/Olympus' },
      }),
      '/timezone',
    );
    expectInvalid(
      await injectAs(app, w.admin, {
        method: 'POST',
        url: '/api/sites',
        payload: { name: 'X', latitude: 10, longitude: null },
      }),
      '/longitude',
    );
    expectInvalid(
      await injectAs(app, w.admin, { method: 'PATCH', url: `/api/sites/${w.site.id}`, payload: { latitude: null } }),
      '/latitude',
    );
  });

  it('When a PATCH body is empty, then it gets 422 and the device version does not move', async () => {
    expectProblem(
      await injectAs(app, w.technician, { method: 'PATCH', url: `/api/devices/${w.device.id}`, payload: {} }),
      422,
      'VALIDATION_FAILED',
    );
    expect((await app.repos.devices.findById(w.device.id))!.version).toBe(1);
  });

  it('When an email is not an email, then creating the user gets 422', async () => {
    expectInvalid(
      await injectAs(app, w.admin, {
        method: 'POST',
        url: '/api/users',
        payload: { email: 'not-an-email', name: 'X', password: 'long enough secret' },
      }),
      '/email',
    );
  });
});

describe('Query strings and paths', () => {
  const LISTS = ['/api/sites', '/api/users', `SITE/devices`, `SITE/audit`];
  const urls = () => LISTS.map((u) => u.replace('SITE', `/api/sites/${w.site.id}`));

  it('When a list gets limit=0, limit=500, a non-integer limit, a bad cursor or an unknown parameter, then it answers 400, never 200 or 500', async () => {
    for (const query of ['limit=0', 'limit=500', 'limit=ten', 'limit=1.5', 'cursor=not-a-cursor!', 'unknown=1']) {
      for (const url of urls()) {
        const res = await injectAs(app, w.admin, { method: 'GET', url: `${url}?${query}` });
        expect(res.statusCode, `${url}?${query}: ${res.body}`).toBe(400);
        expect(['VALIDATION_FAILED', 'BAD_REQUEST', 'INVALID_CURSOR']).toContain(res.json().code);
      }
    }
  });

  it('When a cursor decodes to something that is not ours, then every list refuses it with 400 INVALID_CURSOR', async () => {
    const forged = Buffer.from(JSON.stringify({ name: 'x' })).toString('base64url');
    for (const url of [
      '/api/sites',
      '/api/users',
      `/api/sites/${w.site.id}/devices`,
      '/api/subscriptions',
      `/api/sites/${w.site.id}/audit`,
    ]) {
      const body = expectProblem(
        await injectAs(app, w.admin, { method: 'GET', url: `${url}?cursor=${forged}` }),
        400,
        'INVALID_CURSOR',
      );
      expect(body.detail).toBe('The cursor is not valid; start again without it');
    }
  });

  it('When limit is a numeric string, then it is coerced and honoured', async () => {
    const res = await injectAs(app, w.admin, { method: 'GET', url: '/api/sites?limit=1' });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toHaveLength(1);
  });

  it('When an id in the path has characters no id has, then it gets 400, not 404 or 500', async () => {
    const res = await injectAs(app, w.admin, {
      method: 'GET',
      url: `/api/devices/${encodeURIComponent('dev 1; drop')}`,
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
  });

  it('When an /api route does not exist, then it gets a problem+json 404', async () => {
    expectProblem(await injectAs(app, w.admin, { method: 'GET', url: '/api/nothing-here' }), 404, 'NOT_FOUND');
  });
});
