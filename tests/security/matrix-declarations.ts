// Who may do what, for every route the app registers, keyed by `METHOD /url/:pattern`.
// tests/security/matrix.test.ts fails for a registered route missing here, and for a key here
// that no longer names a route. Path parameters are filled from a fresh target (matrix-world.ts).
import { PASSWORD } from '../helpers/app.js';
import type { Target } from './matrix-world.js';

export type ObjectKind = 'site' | 'device' | 'metric' | 'alarm-rule' | 'alarm';

export type Access =
  /** Anyone, signed in or not (static files, docs, health, the sign-in and sign-out forms). */
  | { kind: 'public' }
  /** Any signed-in user, on their own data or their own view of the sites they belong to. */
  | { kind: 'self' }
  /** Any signed-in user with a session (pages); with a bearer token, as the API is called here, 403 SESSION_REQUIRED. */
  | { kind: 'session' }
  /** Admins; every other signed-in user 403 (no site is named, so there is nothing to hide). */
  | { kind: 'admin' }
  /** Admins, on a named site: its members 403, anyone else the site's 404. */
  | { kind: 'site-admin' }
  /** Admins and members of the object's site; anyone else 404 (or `hidden`). */
  | { kind: 'site-read'; object: ObjectKind; hidden?: number }
  /** Admins and technicians of the object's site; viewers 403; anyone else 404 (or `hidden`). */
  | { kind: 'site-write'; object: ObjectKind; hidden?: number }
  /** The owner only (the technician); everyone else, admins included, the 404 of a missing id. */
  | { kind: 'owner'; object: 'subscription' | 'token' }
  /** Only the METRICS_TOKEN opens it: every actor here gets 401 (the test config sets a token). */
  | { kind: 'metrics-token' }
  /**
   * A device's telemetry: like `site-write` on the device for persons; the site's ingest key may,
   * another site's key gets the 404 of a missing device, a revoked key 401.
   */
  | { kind: 'telemetry' }
  /** Telemetry of the device a device's key names: only such a key (persons and site keys 403). */
  | { kind: 'device-key' };

export interface Declaration {
  access: Access;
  /** The concrete URL when the pattern is a wildcard. */
  path?: string;
  /** Path parameters that differ from the usual ones (matrix-http.ts's PARAMS) for this route. */
  params?: Record<string, (t: Target) => string>;
  /** Query strings to call it with; each is one call (CSV exports next to JSON). */
  queries?: string[];
  /** JSON for the API, form fields for pages. */
  body?: (t: Target) => Record<string, unknown>;
  /** Server-Sent Events: called over a real socket with a short timeout. */
  stream?: boolean;
}

const pub: Declaration = { access: { kind: 'public' } };
const self: Declaration = { access: { kind: 'self' } };
const session: Declaration = { access: { kind: 'session' } };
/** The viewer member's own token, so that the pair in the URL belongs together. */
const memberToken = { tokenId: (t: Target) => t.userToken.id };
const admin: Declaration = { access: { kind: 'admin' } };
const siteAdmin: Declaration = { access: { kind: 'site-admin' } };
const read = (object: ObjectKind, more: Partial<Declaration> = {}): Declaration => ({
  access: { kind: 'site-read', object },
  ...more,
});
const write = (object: ObjectKind, more: Partial<Declaration> = {}): Declaration => ({
  access: { kind: 'site-write', object },
  ...more,
});
const owner = (object: 'subscription' | 'token', more: Partial<Declaration> = {}): Declaration => ({
  access: { kind: 'owner', object },
  ...more,
});

const unique = () => Math.random().toString(36).slice(2, 10);
const series = ['', '?format=csv'];
const metricRows = (t: Target) =>
  Object.fromEntries(
    t.metrics.flatMap((m, i) =>
      Object.entries({
        id: m.id,
        key: m.key,
        name: m.name,
        unit: m.unit,
        kind: m.kind,
        intervalSeconds: m.intervalSeconds,
      }).map(([k, v]) => [`metrics[${i}][${k}]`, v]),
    ),
  );
const newUser = () => ({ email: `new-${unique()}@example.com`, name: 'New user', password: 'long enough secret' });

export const DECLARATIONS: Record<string, Declaration> = {
  // ---- static files, docs, health, operations ----
  'GET /assets/*': { ...pub, path: '/assets/app.css' },
  'GET /assets/vendor/htmx/*': { ...pub, path: '/assets/vendor/htmx/htmx.min.js' },
  'GET /assets/vendor/uplot/*': { ...pub, path: '/assets/vendor/uplot/uPlot.min.css' },
  'GET /assets/vendor/pico/*': { ...pub, path: '/assets/vendor/pico/pico.min.css' },
  'GET /openapi.json': pub,
  'GET /docs': pub,
  'GET /docs/': pub,
  'GET /docs/json': pub,
  'GET /docs/yaml': pub,
  'GET /docs/static/*': { ...pub, path: '/docs/static/index.css' },
  'GET /docs/static/index.html': pub,
  'GET /docs/static/swagger-initializer.js': pub,
  'GET /docs/static/theme/favicon.svg': pub,
  'GET /healthz': pub,
  'GET /readyz': pub,
  'GET /metrics': { access: { kind: 'metrics-token' } },

  // ---- API: sign-in and the caller's own things ----
  'POST /api/auth/login': { ...pub, body: (t) => ({ email: t.login.email, password: PASSWORD }) },
  'POST /api/auth/logout': { ...pub, body: () => ({}) },
  'GET /api/me': self,
  'GET /api/me/tokens': self,
  // Minting a token takes a session: a token that could mint tokens would outlive its own revocation.
  'POST /api/me/tokens': { ...session, body: () => ({ name: 'laptop' }) },
  'DELETE /api/me/tokens/:tokenId': owner('token'),

  // ---- API: sites, members, audit ----
  'GET /api/sites': self,
  'POST /api/sites': { ...admin, body: () => ({ name: `New site ${unique()}` }) },
  'GET /api/sites/:siteId': read('site'),
  'PATCH /api/sites/:siteId': { ...siteAdmin, body: () => ({ description: 'changed' }) },
  'DELETE /api/sites/:siteId': siteAdmin,
  'GET /api/sites/:siteId/latest': read('site'),
  'GET /api/sites/:siteId/members': siteAdmin,
  'PUT /api/sites/:siteId/members/:userId': { ...siteAdmin, body: () => ({ role: 'technician' }) },
  'DELETE /api/sites/:siteId/members/:userId': siteAdmin,
  // The audit trail is the technicians' (and admins'): viewers 403, like a write.
  'GET /api/sites/:siteId/audit': write('site'),

  // ---- API: devices, metrics, readings, history ----
  'GET /api/sites/:siteId/devices': read('site'),
  'POST /api/sites/:siteId/devices': write('site', { body: () => ({ name: 'Inverter 1', type: 'inverter' }) }),
  'GET /api/devices/:deviceId': read('device'),
  'PATCH /api/devices/:deviceId': write('device', { body: () => ({ model: 'X2' }) }),
  'DELETE /api/devices/:deviceId': write('device'),
  'GET /api/devices/:deviceId/metrics': read('device'),
  'POST /api/devices/:deviceId/metrics': write('device', {
    body: () => ({ key: 'voltage', name: 'Voltage', unit: 'V' }),
  }),
  'GET /api/metrics/:metricId': read('metric'),
  'PATCH /api/metrics/:metricId': write('metric', { body: () => ({ name: 'Renamed' }) }),
  'DELETE /api/metrics/:metricId': write('metric'),
  'GET /api/metrics/:metricId/timeseries': read('metric', { queries: series }),
  'GET /api/sites/:siteId/energy': read('site', { queries: series }),
  // Each caller's own sites: nothing is named, so there is nothing to hide.
  'GET /api/energy': { ...self, queries: series },
  // An invisible metric in a batch is refused like an unknown one: 422 naming the index.
  'POST /api/readings': {
    access: { kind: 'site-write', object: 'metric', hidden: 422 },
    body: (t) => ({ readings: [{ metricId: t.metrics[0].id, timestamp: new Date().toISOString(), value: 1 }] }),
  },
  'POST /api/devices/:deviceId/telemetry': { access: { kind: 'telemetry' }, body: (t) => ({ [t.metrics[0].key]: 1 }) },
  // The other site's device is a battery like the target's: the same metric keys.
  'POST /api/telemetry': { access: { kind: 'device-key' }, body: (t) => ({ values: { [t.metrics[0].key]: 1 } }) },

  // ---- API: ingest keys ----
  'GET /api/sites/:siteId/ingest-keys': write('site'),
  'POST /api/sites/:siteId/ingest-keys': write('site', { body: () => ({ name: 'Gateway' }) }),
  'DELETE /api/ingest-keys/:keyId': write('site'),

  // ---- API: alarm rules and alarms (the metric's site decides, as for the metric) ----
  'GET /api/metrics/:metricId/alarm-rules': read('metric'),
  'POST /api/metrics/:metricId/alarm-rules': write('metric', {
    body: () => ({ condition: 'above', threshold: 95, severity: 'minor' }),
  }),
  'GET /api/sites/:siteId/alarm-rules': read('site'),
  'POST /api/sites/:siteId/alarm-rules': write('site', {
    body: () => ({ deviceType: 'battery', metricKey: 'soc', condition: 'below', threshold: 10, severity: 'major' }),
  }),
  'GET /api/alarm-rules/:ruleId': read('alarm-rule'),
  'PATCH /api/alarm-rules/:ruleId': write('alarm-rule', { body: () => ({ severity: 'critical' }) }),
  'DELETE /api/alarm-rules/:ruleId': write('alarm-rule'),
  // Every signed-in user lists the alarms of the sites they see (none: an empty page).
  'GET /api/alarms': self,
  // Each listener hears only the alarm changes of the sites it sees.
  'GET /api/alarms/stream': { ...self, stream: true },
  // Viewers read alarms but do not acknowledge or clear them: that is a technician's promise to act.
  'POST /api/alarms/:alarmId/acknowledge': write('alarm', { body: () => ({ comment: 'on it' }) }),
  'POST /api/alarms/:alarmId/clear': write('alarm', { body: () => ({ reason: 'fixed' }) }),

  // Webhooks carry a secret and reach outside: admins only.
  'GET /api/sites/:siteId/webhooks': siteAdmin,
  'POST /api/sites/:siteId/webhooks': {
    ...siteAdmin,
    body: () => ({ url: 'https://hooks.example.com/new', secret: 'a secret of sixteen+' }),
  },
  'PATCH /api/sites/:siteId/webhooks/:webhookId': { ...siteAdmin, body: () => ({ enabled: false }) },
  'DELETE /api/sites/:siteId/webhooks/:webhookId': siteAdmin,
  'GET /api/sites/:siteId/webhooks/:webhookId/deliveries': siteAdmin,

  // ---- API: subscriptions and their stream ----
  'GET /api/subscriptions': self,
  // Any member may subscribe to what they see; an invisible metric is an unknown one (422).
  'POST /api/subscriptions': {
    access: { kind: 'site-read', object: 'metric', hidden: 422 },
    body: (t) => ({ name: 'Mine', metricIds: [t.metrics[0].id] }),
  },
  'GET /api/subscriptions/:subscriptionId': owner('subscription'),
  'PATCH /api/subscriptions/:subscriptionId': owner('subscription', { body: () => ({ name: 'Renamed' }) }),
  'DELETE /api/subscriptions/:subscriptionId': owner('subscription'),
  'GET /api/subscriptions/:subscriptionId/timeseries': owner('subscription', { queries: series }),
  'GET /api/subscriptions/:subscriptionId/stream': owner('subscription', { stream: true }),

  // ---- API: users ----
  'GET /api/users': admin,
  'POST /api/users': { ...admin, body: newUser },
  'PATCH /api/users/:userId': { ...admin, body: () => ({ name: 'Renamed' }) },
  'DELETE /api/users/:userId': admin,
  'GET /api/users/:userId/tokens': admin,
  'DELETE /api/users/:userId/tokens/:tokenId': { ...admin, params: memberToken },

  // ---- pages ----
  'GET /': self,
  'GET //': self,
  'GET /login': pub,
  'POST /login': { ...pub, body: (t) => ({ email: t.login.email, password: PASSWORD, next: '/sites' }) },
  'POST /logout': pub,
  'GET /sites': self,
  'GET /sites/:siteId': read('site'),
  'GET /sites/:siteId/energy': read('site'),
  'GET /sites/:siteId/devices/new': write('site'),
  'GET /sites/:siteId/devices/new/rows': write('site', { queries: ['?type=inverter'] }),
  'GET /sites/:siteId/devices/new/row': write('site'),
  'POST /sites/:siteId/devices': write('site', { body: () => ({ name: 'Inverter 1', type: 'inverter' }) }),
  'GET /sites/:siteId/ingest-keys': write('site'),
  'POST /sites/:siteId/ingest-keys': write('site', { body: () => ({ name: 'Gateway', deviceId: '' }) }),
  'POST /sites/:siteId/ingest-keys/:keyId/revoke': write('site'),
  'GET /devices/:deviceId': read('device'),
  'GET /devices/:deviceId/edit': write('device'),
  'POST /devices/:deviceId': write('device', {
    body: (t) => ({ name: 'Renamed', type: 'battery', version: t.device.version, ...metricRows(t) }),
  }),
  'GET /devices/:deviceId/delete': write('device'),
  'POST /devices/:deviceId/delete': write('device'),
  'GET /subscriptions': self,
  'GET /subscriptions/new': self,
  'POST /subscriptions': {
    access: { kind: 'site-read', object: 'metric', hidden: 422 },
    body: (t) => ({ name: 'Mine', metricIds: t.metrics[0].id }),
  },
  'GET /subscriptions/:subscriptionId': owner('subscription'),
  'GET /subscriptions/:subscriptionId/edit': owner('subscription'),
  'POST /subscriptions/:subscriptionId': owner('subscription', {
    body: (t) => ({ name: 'Renamed', metricIds: t.metrics[0].id }),
  }),
  'GET /subscriptions/:subscriptionId/delete': owner('subscription'),
  'POST /subscriptions/:subscriptionId/delete': owner('subscription'),
  'GET /alarms': self,
  'GET /alarms/badge': self,
  'GET /sites/:siteId/alarm-rules': read('site'),
  'POST /sites/:siteId/alarm-rules': write('site', {
    body: (t) => ({ target: `metric:${t.metrics[0].id}`, condition: 'above', threshold: 5, severity: 'minor' }),
  }),
  'POST /alarm-rules/:ruleId/enabled': write('alarm-rule', { body: () => ({ enabled: 'false' }) }),
  'POST /alarm-rules/:ruleId/delete': write('alarm-rule'),
  'GET /sites/:siteId/webhooks': siteAdmin,
  'POST /sites/:siteId/webhooks': {
    ...siteAdmin,
    body: () => ({ url: 'https://hooks.example.com/page', secret: 'a secret of sixteen+', severities: 'critical' }),
  },
  'POST /sites/:siteId/webhooks/:webhookId/delete': siteAdmin,
  'GET /alarm-rules/:ruleId/edit': write('alarm-rule'),
  'POST /alarm-rules/:ruleId/edit': write('alarm-rule', { body: () => ({ severity: 'minor' }) }),
  'POST /alarms/:alarmId/acknowledge': write('alarm', { body: () => ({ comment: 'on it' }) }),
  'POST /alarms/:alarmId/clear': write('alarm', { body: () => ({ reason: 'fixed' }) }),
  'GET /account/tokens': self,
  'POST /account/tokens': { ...self, body: () => ({ name: 'laptop' }) },
  'POST /account/tokens/:tokenId/revoke': owner('token'),
  'GET /admin': admin,
  'POST /admin/users': { ...admin, body: newUser },
  'POST /admin/users/:userId/active': { ...admin, body: () => ({ active: 'false' }) },
  'POST /admin/users/:userId/password': { ...admin, body: () => ({ password: 'another long secret' }) },
  'GET /admin/users/:userId/tokens': admin,
  'POST /admin/users/:userId/tokens/:tokenId/revoke': { ...admin, params: memberToken },
  'POST /admin/sites': { ...admin, body: () => ({ name: `New site ${unique()}`, description: '', timezone: 'UTC' }) },
  'GET /admin/sites/:siteId': siteAdmin,
  'POST /admin/sites/:siteId': {
    ...siteAdmin,
    body: () => ({ name: `Renamed ${unique()}`, description: 'changed', timezone: 'UTC' }),
  },
  'GET /admin/sites/:siteId/delete': siteAdmin,
  'POST /admin/sites/:siteId/delete': siteAdmin,
  'POST /admin/sites/:siteId/members': { ...siteAdmin, body: (t) => ({ email: t.login.email, role: 'technician' }) },
  'POST /admin/sites/:siteId/members/:userId': { ...siteAdmin, body: () => ({ role: 'technician' }) },
  'POST /admin/sites/:siteId/members/:userId/remove': siteAdmin,
};
