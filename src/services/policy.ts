// The one access policy. Every route, page, export and stream asks these functions,
// so JSON, HTML, CSV and SSE cannot disagree about who sees what.
import { errors } from '../errors.js';
import type { Role } from '../db/repositories/users.js';

export interface Actor {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  /** siteId -> role, loaded once per request. */
  roles: ReadonlyMap<string, Role>;
}

export type Access = 'admin' | Role | null;

/** How the actor proved who they are on a request: a session (sign-in with a password) or an API token. */
export type AuthMethod = 'session' | 'token';

export function accessTo(actor: Actor, siteId: string): Access {
  if (actor.isAdmin) return 'admin';
  return actor.roles.get(siteId) ?? null;
}

export const canView = (actor: Actor, siteId: string) => accessTo(actor, siteId) !== null;

export function canManageDevices(actor: Actor, siteId: string): boolean {
  const access = accessTo(actor, siteId);
  return access === 'admin' || access === 'technician';
}

/**
 * Who may read a site's members (their ids, names and roles): admins. Whatever else describes
 * memberships (the audit trail's membership rows) follows the same rule.
 */
export const canReadMembers = (actor: Actor, siteId: string) => accessTo(actor, siteId) === 'admin';

/**
 * A site the actor cannot see is answered exactly like a missing one: `notFound` is the
 * same error the caller throws for an unknown id, so nothing reveals that it exists.
 */
export function requireView(actor: Actor, siteId: string | undefined, notFound: () => Error): void {
  if (siteId === undefined || !canView(actor, siteId)) throw notFound();
}

/**
 * requireView for a site named by id, which must also exist. The actor was loaded under the
 * current access version, which deleting a site moves, and its roles come only from memberships
 * joined to their site (users.memberships; the cascade also deletes them, unless foreign keys
 * are off): a member's site exists. Only admins, who may name any id, cost a read, which on the
 * hottest reads (a site's latest values and its page) would be one statement of a handful.
 */
export async function requireSite(
  actor: Actor,
  siteId: string,
  exists: (siteId: string) => Promise<boolean>,
  notFound: () => Error,
): Promise<void> {
  requireView(actor, siteId, notFound);
  if (actor.isAdmin && !(await exists(siteId))) throw notFound();
}

/** Visible but not allowed (a viewer writing): 403. Invisible: the caller's 404. */
export function requireManageDevices(
  actor: Actor,
  siteId: string | undefined,
  notFound: () => Error,
  action: string,
): void {
  requireView(actor, siteId, notFound);
  if (!canManageDevices(actor, siteId!)) throw new errors.FORBIDDEN(action);
}

export function requireAdmin(actor: Actor, action: string): void {
  if (!actor.isAdmin) throw new errors.FORBIDDEN(action);
}

/** Admin-only actions on a named site: non-members get the site's 404, members get 403. */
export function requireSiteAdmin(actor: Actor, siteId: string, action: string): void {
  requireView(actor, siteId, () => new errors.SITE_NOT_FOUND());
  requireAdmin(actor, action);
}

/**
 * Minting credentials takes a signed-in session. A token that could mint tokens would let whoever
 * holds it outlive its expiry and its revocation, by minting a successor first.
 */
export function requireSession(method: AuthMethod | null, action: string): void {
  if (method !== 'session') throw new errors.SESSION_REQUIRED(action);
}

/**
 * A field device's credential (an ingest key): it may only write readings, to any device of its
 * site or, when it names one, to that device only. It is not an Actor: every read and every
 * administrative action takes an Actor, so nothing but telemetry can be done with a key.
 */
export interface IngestPrincipal {
  keyId: string;
  siteId: string;
  /** The one device the key may write to; null: any device of its site. */
  deviceId: string | null;
}

/** Whether a key may write to a device; a device it may not write to is, to it, a missing one. */
export const keyMayWrite = (key: IngestPrincipal, device: { id: string; siteId: string }) =>
  key.siteId === device.siteId && (key.deviceId === null || key.deviceId === device.id);

/** Ingest keys are the device managers' (technicians of the site, admins): viewers 403, others 404. */
export const requireManageIngestKeys = (actor: Actor, siteId: string | undefined, notFound: () => Error) =>
  requireManageDevices(actor, siteId, notFound, 'manage ingest keys');
