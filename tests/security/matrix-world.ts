// The cast, the objects they act on, and their credentials, for the authorization matrix.
// The cast (users) lives as long as its group's app; each call gets a fresh target (a site with a
// device, metrics, readings, a subscription and a token) and fresh credentials, so one call's
// write, logout or expiry can never change what the next one sees.
import { randomBytes } from 'node:crypto';
import { sign } from '@fastify/cookie';
import type { App } from '../../src/app.js';
import { SESSION_COOKIE } from '../../src/plugins/external/session.js';
import { hashToken } from '../../src/services/auth.js';
import { addMember, createDevice, createSite, createUser, type TestUser } from '../helpers/app.js';
import { cookiesOf, csrfOf } from '../helpers/pages.js';
import { sqlOf } from '../helpers/sql.js';

export const ACTORS = [
  'anonymous',
  'admin',
  'technician',
  'viewer',
  'outsider',
  'former-member',
  'revoked-token',
  'expired-idle',
  'expired-absolute',
  // Field devices' ingest keys: the target site's own key, a device key of another site, a revoked key.
  'site-key',
  'other-key',
  'revoked-key',
] as const;
export type ActorName = (typeof ACTORS)[number];
export const SIGNED_IN: readonly ActorName[] = ['admin', 'technician', 'viewer', 'outsider', 'former-member'];
export const INGEST_KEYS: readonly ActorName[] = ['site-key', 'other-key', 'revoked-key'];

export interface Cast {
  admin: TestUser;
  technician: TestUser;
  viewer: TestUser;
  outsider: TestUser;
  /**
   * A technician of each target's site until just before the call, left with a subscription of its
   * metrics: a membership that ends must take every view of the site with it.
   */
  former: TestUser;
  /** A token of the technician that was revoked: it once opened everything the technician may see. */
  revokedToken: string;
  /** An ingest key of one device of another site ("Elsewhere"). */
  otherKey: string;
  /** A revoked ingest key of that other site. */
  revokedKey: string;
}

export interface Target {
  site: { id: string; name: string };
  device: { id: string; name: string; version: number };
  metrics: { id: string; key: string; name: string; unit: string; kind: string; intervalSeconds: number }[];
  /** Owned by the technician. */
  subscription: { id: string; name: string };
  /** Owned by the technician. */
  token: { id: string; name: string; prefix: string };
  /** A viewer member of the site, for the member and user routes. */
  user: { id: string; email: string; name: string };
  /** That member's own API token, for the routes on a user's tokens. */
  userToken: { id: string };
  /** A rule on the first metric (above 0, so the target's readings raised an alarm) and that alarm. */
  alarmRule: { id: string };
  alarm: { id: string };
  /** A webhook of the site (admins'); its secret is nobody's to read. */
  webhook: { id: string; secret: string };
  /** Someone with no site at all, whose email and PASSWORD the sign-in routes are called with. */
  login: { email: string };
  /** The site's ingest key (site-wide), made by the technician; `secret` is what the device sends. */
  ingestKey: { id: string; name: string; prefix: string; secret: string };
}

const tag = () => randomBytes(6).toString('hex');

export async function createCast(app: App): Promise<Cast> {
  const [admin, technician, viewer, outsider, former] = [
    await createUser(app, { isAdmin: true }),
    await createUser(app),
    await createUser(app),
    await createUser(app),
    await createUser(app),
  ];
  const elsewhere = await createSite(app, { name: `Elsewhere ${tag()}` });
  await addMember(app, elsewhere.id, outsider.id, 'technician');
  await addMember(app, elsewhere.id, former.id, 'technician');
  await createDevice(app, elsewhere.id, { name: `Elsewhere device ${tag()}` });
  const revokedToken = `sw_revoked_${tag()}`;
  const row = await app.repos.tokens.create({
    userId: technician.id,
    name: 'revoked',
    tokenHash: hashToken(revokedToken),
    prefix: revokedToken.slice(0, 8),
    expiresAt: null,
  });
  await app.repos.tokens.delete(technician.id, row.id);
  const { device } = await createDevice(app, elsewhere.id, { name: `Elsewhere device ${tag()}` });
  const keyOf = async (raw: string, deviceId: string | null) =>
    app.repos.ingestKeys.create({
      siteId: elsewhere.id,
      deviceId,
      name: raw,
      keyHash: hashToken(raw),
      prefix: raw.slice(0, 10),
      createdBy: outsider.id,
    });
  const otherKey = `swi_other_${tag()}`;
  await keyOf(otherKey, device.id);
  const revokedKey = `swi_revoked_${tag()}`;
  await app.repos.ingestKeys.revoke((await keyOf(revokedKey, null)).id, outsider.id);
  return { admin, technician, viewer, outsider, former, revokedToken, otherKey, revokedKey };
}

export async function createTarget(app: App, cast: Cast): Promise<Target> {
  const t = tag();
  const site = await createSite(app, { name: `Secret Site ${t}` });
  await addMember(app, site.id, cast.technician.id, 'technician');
  await addMember(app, site.id, cast.viewer.id, 'viewer');
  const { device, metrics } = await createDevice(app, site.id, { name: `Secret Device ${t}` });
  const member = await createUser(app, { name: `Secret Member ${t}` });
  await addMember(app, site.id, member.id, 'viewer');
  const [memberToken] = await app.repos.tokens.listForUser(member.id);
  const login = await createUser(app);
  const technician = (await app.services.auth.loadActor(cast.technician.id))!;
  const alarmRule = await app.services.alarms.createForMetric(technician, metrics[0].id, {
    condition: 'above',
    threshold: 0,
    severity: 'major',
  });
  await app.services.readings.ingest(
    technician,
    metrics.map((m, i) => ({ metricId: m.id, timestamp: new Date(Date.now() - 60_000).toISOString(), value: 40 + i })),
  );
  const subscription = await app.services.subscriptions.create(technician, {
    name: `Secret Subscription ${t}`,
    metricIds: metrics.map((m) => m.id),
  });
  const token = await app.services.auth.createToken(technician, 'session', { name: `Secret Token ${t}` });
  await addMember(app, site.id, cast.former.id, 'technician');
  await app.services.subscriptions.create((await app.services.auth.loadActor(cast.former.id))!, {
    name: `Former's subscription ${t}`,
    metricIds: metrics.map((m) => m.id),
  });
  await app.repos.sites.removeMember(site.id, cast.former.id, null);
  const ingestKey = await app.services.ingestKeys.create(technician, site.id, { name: `Secret Key ${t}` });
  const [alarm] = (await app.services.alarms.list(technician, { limit: 1, siteId: site.id })).items;
  const webhookSecret = `whsec_${randomBytes(12).toString('hex')}`;
  const webhook = await app.repos.webhooks.create(
    site.id,
    { url: 'https://hooks.example.com/sitewatt', secret: webhookSecret, severities: ['critical'], enabled: true },
    null,
  );
  return {
    site: { id: site.id, name: site.name },
    device: { id: device.id, name: device.name, version: device.version },
    metrics: metrics.map((m) => ({
      id: m.id,
      key: m.key,
      name: m.name,
      unit: m.unit,
      kind: m.kind,
      intervalSeconds: m.intervalSeconds,
    })),
    subscription: { id: subscription.id, name: subscription.name },
    token: { id: token.id, name: token.name, prefix: token.prefix },
    user: { id: member.id, email: member.email, name: `Secret Member ${t}` },
    userToken: { id: memberToken.id },
    login: { email: login.email },
    ingestKey: { id: ingestKey.id, name: ingestKey.name, prefix: ingestKey.prefix, secret: ingestKey.key },
    alarmRule: { id: alarmRule.id },
    alarm: { id: alarm.id },
    webhook: { id: webhook.id, secret: webhookSecret },
  };
}

/** The same shape with ids that exist nowhere: what a hidden object must be indistinguishable from. */
export function missingLike(t: Target): Target {
  const fresh = (id: string) =>
    `${id.slice(0, id.indexOf('_'))}_${randomBytes(12).toString('base64url')}`
      .slice(0, id.length)
      .padEnd(id.length, 'x');
  return {
    ...t,
    site: { ...t.site, id: fresh(t.site.id) },
    device: { ...t.device, id: fresh(t.device.id) },
    metrics: t.metrics.map((m) => ({ ...m, id: fresh(m.id) })),
    subscription: { ...t.subscription, id: fresh(t.subscription.id) },
    token: { ...t.token, id: fresh(t.token.id) },
    user: { ...t.user, id: fresh(t.user.id) },
    userToken: { id: fresh(t.userToken.id) },
    ingestKey: { ...t.ingestKey, id: fresh(t.ingestKey.id) },
    alarmRule: { id: fresh(t.alarmRule.id) },
    alarm: { id: fresh(t.alarm.id) },
    webhook: { ...t.webhook, id: fresh(t.webhook.id) },
  };
}

/** Every id of a target, longest first, with the placeholder that stands for it in a comparison. */
export function idsOf(t: Target): [string, string][] {
  const ids: [string, string][] = [
    [t.site.id, '{siteId}'],
    [t.device.id, '{deviceId}'],
    [t.subscription.id, '{subscriptionId}'],
    [t.token.id, '{tokenId}'],
    [t.user.id, '{userId}'],
    [t.userToken.id, '{userTokenId}'],
    [t.ingestKey.id, '{ingestKeyId}'],
    [t.alarmRule.id, '{ruleId}'],
    [t.alarm.id, '{alarmId}'],
    [t.webhook.id, '{webhookId}'],
    ...t.metrics.map((m, i): [string, string] => [m.id, `{metricId${i}}`]),
  ];
  return ids.sort((a, b) => b[0].length - a[0].length);
}

/** What each actor must never read, in a body or a header: names and ids of what is not theirs. */
export function secretsFor(actor: ActorName, t: Target): string[] {
  // A key's secret is nobody's to read, once made.
  return [t.ingestKey.secret, t.webhook.secret, ...visibleTo(actor, t)];
}

function visibleTo(actor: ActorName, t: Target): string[] {
  const site = [
    t.site.id,
    t.site.name,
    t.device.id,
    t.device.name,
    ...t.metrics.map((m) => m.id),
    t.alarmRule.id,
    t.alarm.id,
  ];
  const owned = [t.subscription.id, t.subscription.name, t.token.id, t.token.name, t.token.prefix];
  const user = [t.user.id, t.user.email, t.user.name];
  // The site's ingest keys are its technicians' and admins' to read.
  const key = [t.ingestKey.id, t.ingestKey.name, t.ingestKey.prefix];
  // Technicians read the site's audit trail, but not its membership rows: members are the admins' to read.
  // Webhooks are the admins' alone.
  if (actor === 'technician') return [...user, t.webhook.id];
  if (actor === 'viewer') return [...owned, ...user, ...key, t.webhook.id];
  if (actor === 'admin') return owned;
  // Their own subscription still lists the ids of the metrics they lost, by design ("no longer available").
  if (actor === 'former-member')
    return [
      t.site.id,
      t.site.name,
      t.device.id,
      t.device.name,
      t.alarmRule.id,
      t.alarm.id,
      t.webhook.id,
      ...owned,
      ...user,
      ...key,
    ];
  return [...site, ...owned, ...user, ...key, t.webhook.id];
}

// ---- credentials ----------------------------------------------------------------------------

export interface Credentials {
  headers: Record<string, string>;
  /** A CSRF token bound to the session in `headers` (pages' state-changing requests). */
  csrf?: string;
}

const cookieFor = (app: App, sid: string) =>
  `${SESSION_COOKIE}=${encodeURIComponent(sign(sid, app.config.sessionSecret, 'sha256'))}`;

/** A signed-in session written straight to the store: what POST /login leaves, without argon2. */
async function seedSession(app: App, userId: string): Promise<{ sid: string; cookie: string }> {
  const sid = randomBytes(24).toString('base64url');
  const now = Date.now();
  const expires = now + 30 * 60_000;
  const data = {
    cookie: {
      expires: new Date(expires).toISOString(),
      originalMaxAge: 30 * 60_000,
      sameSite: 'lax',
      secure: false,
      path: '/',
      httpOnly: true,
      domain: null,
    },
    userId,
    createdAt: now,
    touchedAt: now,
  };
  await app.repos.sessions.set(sid, JSON.stringify(data), userId, expires);
  return { sid, cookie: cookieFor(app, sid) };
}

/** The token a page the session can load hands out (the way a browser gets it). */
async function csrfFrom(app: App, url: string, cookie?: string): Promise<{ csrf: string; cookie: string }> {
  const res = await app.inject({ url, headers: cookie ? { cookie } : {} });
  const set = res.cookies.find((c) => c.name === SESSION_COOKIE);
  const csrf = csrfOf(res.body);
  if (!csrf) throw new Error(`no CSRF token on ${url} (${res.statusCode})`);
  // Anonymous: the sign-in form's cookie (FORM_COOKIE), not a session, carries what the token is bound to.
  if (!cookie) return { csrf, cookie: cookiesOf(res) };
  return { csrf, cookie: set ? `${SESSION_COOKIE}=${encodeURIComponent(set.value)}` : cookie };
}

/**
 * Fresh credentials for one call. The API is called with bearer tokens, pages with session cookies.
 * Expired sessions are the technician's: signed in, a page loaded (for its CSRF token), then aged,
 * either past the idle expiry (the row's expiry) or past the 12-hour lifetime (the sign-in time).
 */
export async function credentials(
  app: App,
  cast: Cast,
  actor: ActorName,
  surface: 'api' | 'page',
  csrf: boolean,
  target?: Target,
): Promise<Credentials> {
  const bearerOf: Partial<Record<ActorName, string>> = {
    'revoked-token': cast.revokedToken,
    'site-key': target?.ingestKey.secret,
    'other-key': cast.otherKey,
    'revoked-key': cast.revokedKey,
  };
  if (actor === 'anonymous' || bearerOf[actor] !== undefined) {
    // Pages ignore bearer tokens (browsers send none): there a token or a key is an anonymous visitor.
    const bearer: Record<string, string> = actor === 'anonymous' ? {} : { authorization: `Bearer ${bearerOf[actor]}` };
    if (!csrf) return { headers: bearer };
    const anon = await csrfFrom(app, '/login');
    return { headers: { ...bearer, cookie: anon.cookie }, csrf: anon.csrf };
  }
  if (actor === 'expired-idle' || actor === 'expired-absolute') {
    const { sid, cookie } = await seedSession(app, cast.technician.id);
    const token = csrf ? (await csrfFrom(app, '/account/tokens', cookie)).csrf : undefined;
    const db = sqlOf(app);
    if (actor === 'expired-idle')
      await db.run('UPDATE sessions SET expires_at = ? WHERE sid = ?', Date.now() - 1000, sid);
    else {
      const row = (await db.get<{ data: string }>('SELECT data FROM sessions WHERE sid = ?', sid))!;
      const data = JSON.parse(row.data) as { createdAt: number };
      data.createdAt = Date.now() - 13 * 3600_000;
      await db.run('UPDATE sessions SET data = ? WHERE sid = ?', JSON.stringify(data), sid);
    }
    return { headers: { cookie }, csrf: token };
  }
  const user = actor === 'former-member' ? cast.former : cast[actor as 'admin' | 'technician' | 'viewer' | 'outsider'];
  if (surface === 'api') return { headers: { authorization: `Bearer ${user.token}` } };
  const { cookie } = await seedSession(app, user.id);
  if (!csrf) return { headers: { cookie } };
  const page = await csrfFrom(app, '/account/tokens', cookie);
  return { headers: { cookie: page.cookie }, csrf: page.csrf };
}
