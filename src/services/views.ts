// Presentation-neutral views of domain objects: ISO timestamps, no internal keys.
// Both the JSON API and the HTML pages render these.
import type { Device } from '../db/repositories/devices.js';
import type { MetricRow } from '../db/repositories/metrics.js';
import type { Site } from '../db/repositories/sites.js';
import type { User } from '../db/repositories/users.js';
import type { Access } from './policy.js';

export const iso = (ms: number) => new Date(ms).toISOString();

export interface LatestView {
  value: number;
  unit: string;
  timestamp: string;
  receivedAt: string;
  stale: boolean;
}

/** Stale: no reading for more than three expected reporting intervals. */
export function isStale(latestTs: number, intervalSeconds: number, now: number): boolean {
  return now - latestTs > 3 * intervalSeconds * 1000;
}

export function metricView(m: MetricRow, now = Date.now()) {
  const latest: LatestView | null =
    m.latestTs === null || m.latestValue === null
      ? null
      : {
          value: m.latestValue,
          unit: m.unit,
          timestamp: iso(m.latestTs),
          receivedAt: iso(m.latestReceivedAt ?? m.latestTs),
          stale: isStale(m.latestTs, m.intervalSeconds, now),
        };
  return {
    id: m.id,
    deviceId: m.deviceId,
    siteId: m.siteId,
    key: m.key,
    name: m.name,
    unit: m.unit,
    kind: m.kind,
    intervalSeconds: m.intervalSeconds,
    latest,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}
export type MetricView = ReturnType<typeof metricView>;

export const deviceView = (d: Device) => ({
  id: d.id,
  siteId: d.siteId,
  name: d.name,
  type: d.type,
  manufacturer: d.manufacturer,
  model: d.model,
  serialNumber: d.serialNumber,
  version: d.version,
  createdAt: iso(d.createdAt),
  updatedAt: iso(d.updatedAt),
});
export type DeviceView = ReturnType<typeof deviceView>;

export const siteView = (s: Site, role: Access) => ({
  id: s.id,
  name: s.name,
  description: s.description,
  latitude: s.latitude,
  longitude: s.longitude,
  timezone: s.timezone,
  role,
  deviceCount: s.deviceCount,
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
});
export type SiteView = ReturnType<typeof siteView>;

export const userView = (u: User) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  isAdmin: u.isAdmin,
  active: u.active,
  createdAt: iso(u.createdAt),
  updatedAt: iso(u.updatedAt),
});
export type UserView = ReturnType<typeof userView>;

/** ETag of a device: its version, so If-Match can detect a concurrent edit. */
export const deviceEtag = (d: { version: number }) => `"v${d.version}"`;
