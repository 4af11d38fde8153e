// The access matrix: every site, device, metric and user route, for every role.
// Each role acts on its own copy of the target (same memberships), so one app serves a row
// without one role's write changing what the next role sees.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createUser, createWorld, injectAs, type TestUser } from '../../helpers/app.js';
import { expectProblem, lastAudit, siteLikeMain, snapshot, type World } from './support.js';

type Role = 'admin' | 'technician' | 'viewer' | 'outsider' | 'anonymous';
const ROLES: Role[] = ['anonymous', 'outsider', 'viewer', 'technician', 'admin'];

interface Target {
  siteId: string;
  deviceId: string;
  metricId: string;
  /** A viewer member of the site. */
  userId: string;
}

interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  route: string;
  url: (t: Target) => string;
  body?: Record<string, unknown>;
  expected: Record<Exclude<Role, 'anonymous'>, number>;
}

const READ = { admin: 200, technician: 200, viewer: 200, outsider: 404 };
const DEVICE_WRITE = (ok: number) => ({ admin: ok, technician: ok, viewer: 403, outsider: 404 });
const SITE_ADMIN = (ok: number) => ({ admin: ok, technician: 403, viewer: 403, outsider: 404 });
const ADMIN_ONLY = (ok: number) => ({ admin: ok, technician: 403, viewer: 403, outsider: 403 });

const ROWS: Row[] = [
  {
    method: 'GET',
    route: '/api/sites',
    url: () => '/api/sites',
    expected: { admin: 200, technician: 200, viewer: 200, outsider: 200 },
  },
  {
    method: 'POST',
    route: '/api/sites',
    url: () => '/api/sites',
    body: { name: 'New Site' },
    expected: ADMIN_ONLY(201),
  },
  { method: 'GET', route: '/api/sites/:siteId', url: (t) => `/api/sites/${t.siteId}`, expected: READ },
  {
    method: 'PATCH',
    route: '/api/sites/:siteId',
    url: (t) => `/api/sites/${t.siteId}`,
    body: { name: 'Renamed' },
    expected: SITE_ADMIN(200),
  },
  { method: 'DELETE', route: '/api/sites/:siteId', url: (t) => `/api/sites/${t.siteId}`, expected: SITE_ADMIN(204) },
  {
    method: 'GET',
    route: '/api/sites/:siteId/members',
    url: (t) => `/api/sites/${t.siteId}/members`,
    expected: SITE_ADMIN(200),
  },
  {
    method: 'PUT',
    route: '/api/sites/:siteId/members/:userId',
    url: (t) => `/api/sites/${t.siteId}/members/${t.userId}`,
    body: { role: 'technician' },
    expected: SITE_ADMIN(200),
  },
  {
    method: 'DELETE',
    route: '/api/sites/:siteId/members/:userId',
    url: (t) => `/api/sites/${t.siteId}/members/${t.userId}`,
    expected: SITE_ADMIN(204),
  },
  {
    method: 'GET',
    route: '/api/sites/:siteId/audit',
    url: (t) => `/api/sites/${t.siteId}/audit`,
    expected: { admin: 200, technician: 200, viewer: 403, outsider: 404 },
  },
  { method: 'GET', route: '/api/sites/:siteId/latest', url: (t) => `/api/sites/${t.siteId}/latest`, expected: READ },
  { method: 'GET', route: '/api/sites/:siteId/devices', url: (t) => `/api/sites/${t.siteId}/devices`, expected: READ },
  {
    method: 'POST',
    route: '/api/sites/:siteId/devices',
    url: (t) => `/api/sites/${t.siteId}/devices`,
    body: { name: 'Inverter 1', type: 'inverter' },
    expected: DEVICE_WRITE(201),
  },
  { method: 'GET', route: '/api/devices/:deviceId', url: (t) => `/api/devices/${t.deviceId}`, expected: READ },
  {
    method: 'PATCH',
    route: '/api/devices/:deviceId',
    url: (t) => `/api/devices/${t.deviceId}`,
    body: { model: 'X2' },
    expected: DEVICE_WRITE(200),
  },
  {
    method: 'DELETE',
    route: '/api/devices/:deviceId',
    url: (t) => `/api/devices/${t.deviceId}`,
    expected: DEVICE_WRITE(204),
  },
  {
    method: 'GET',
    route: '/api/devices/:deviceId/metrics',
    url: (t) => `/api/devices/${t.deviceId}/metrics`,
    expected: READ,
  },
  {
    method: 'POST',
    route: '/api/devices/:deviceId/metrics',
    url: (t) => `/api/devices/${t.deviceId}/metrics`,
    body: { key: 'voltage', name: 'Voltage', unit: 'V' },
    expected: DEVICE_WRITE(201),
  },
  { method: 'GET', route: '/api/metrics/:metricId', url: (t) => `/api/metrics/${t.metricId}`, expected: READ },
  {
    method: 'PATCH',
    route: '/api/metrics/:metricId',
    url: (t) => `/api/metrics/${t.metricId}`,
    body: { name: 'SoC' },
    expected: DEVICE_WRITE(200),
  },
  {
    method: 'DELETE',
    route: '/api/metrics/:metricId',
    url: (t) => `/api/metrics/${t.metricId}`,
    expected: DEVICE_WRITE(204),
  },
  { method: 'GET', route: '/api/users', url: () => '/api/users', expected: ADMIN_ONLY(200) },
  {
    method: 'POST',
    route: '/api/users',
    url: () => '/api/users',
    body: { email: 'new.user@example.com', name: 'New', password: 'long enough secret' },
    expected: ADMIN_ONLY(201),
  },
  {
    method: 'PATCH',
    route: '/api/users/:userId',
    url: (t) => `/api/users/${t.userId}`,
    body: { name: 'Renamed' },
    expected: ADMIN_ONLY(200),
  },
  { method: 'DELETE', route: '/api/users/:userId', url: (t) => `/api/users/${t.userId}`, expected: ADMIN_ONLY(204) },
];

const NOT_FOUND = {
  siteId: 'site_missing000000000000',
  deviceId: 'dev_missing0000000000000',
  metricId: 'met_missing0000000000000',
};

let app: App;
let w: World;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

async function newTarget(): Promise<Target> {
  const { site, device, metrics } = await siteLikeMain(app, w);
  const member = await createUser(app);
  await app.repos.sites.setMember(site.id, member.id, 'viewer', null);
  return { siteId: site.id, deviceId: device.id, metricId: metrics[0].id, userId: member.id };
}

const actorOf = (role: Role): TestUser | null => (role === 'anonymous' ? null : w[role]);

async function call(row: Row, role: Role, t: Target) {
  return injectAs(app, actorOf(role), {
    method: row.method,
    url: row.url(t),
    ...(row.body ? { payload: row.body } : {}),
  });
}

describe.each(ROWS.map((r) => [`${r.method} ${r.route}`, r] as const))('%s', (_name, row) => {
  const e = row.expected;
  it(`When each role calls it, then admin ${e.admin}, technician ${e.technician}, viewer ${e.viewer}, non-member ${e.outsider}, anonymous 401; a refused call stores nothing`, async () => {
    const statuses: Record<string, number> = {};
    for (const role of ROLES) {
      const target = await newTarget();
      const before = snapshot(app);
      const res = await call(row, role, target);
      statuses[role] = res.statusCode;
      const after = snapshot(app);
      if (res.statusCode >= 400) {
        expect(after, `${role}: a refused call changed the database`).toEqual(before);
        if (res.statusCode === 401) expectProblem(res, 401, 'UNAUTHENTICATED');
        if (res.statusCode === 403) expectProblem(res, 403, 'FORBIDDEN');
        if (res.statusCode === 404) {
          // Byte for byte the 404 of an id that does not exist: nothing reveals the hidden site.
          const missing = await call(row, role, { ...target, ...NOT_FOUND });
          expect(missing.statusCode).toBe(404);
          expect(res.body).toBe(missing.body);
          expect(res.body).not.toMatch(/Twin/);
        }
      } else if (row.method === 'GET') {
        expect(after, `${role}: a read changed the database`).toEqual(before);
        // A list shows only what the role may see.
        if (role !== 'admin') expect(res.body).not.toMatch(role === 'outsider' ? /Main Site|Twin/ : /Other Site/);
      } else {
        expect(lastAudit(app)?.actor_id, `${role}: a write without its audit row`).toBe(actorOf(role)!.id);
      }
    }
    expect(statuses).toEqual({ ...row.expected, anonymous: 401 });
  });
});
