// Presentation-neutral views of domain objects: ISO timestamps, no internal keys.
// Both the JSON API and the HTML pages render these.
import type { Device } from '../db/repositories/devices.js';
import type { MetricRow } from '../db/repositories/metrics.js';
import type { Site } from '../db/repositories/sites.js';
import type { User } from '../db/repositories/users.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../time.js';
import type { Access } from './policy.js';

const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** 0000-01-01 and 10000-01-01 in epoch ms: outside, Date's six-digit years apply. */
const [MIN_ISO, END_ISO] = [-62_167_219_200_000, 253_402_300_800_000];

/**
 * Epoch ms as ISO 8601 in UTC, exactly as `new Date(ms).toISOString()` writes it, but faster:
 * a site's latest values carry 80 timestamps, and Date's formatter shows in that request's
 * profile (docs/performance.md, P2). Days to a civil date by H. Hinnant's algorithm
 * (https://howardhinnant.github.io/date_algorithms.html#civil_from_days); a test compares it
 * with Date over random instants. Non-integers, invalid values and years outside 0–9999 go to Date.
 */
export function iso(ms: number): string {
  if (!(Number.isInteger(ms) && ms >= MIN_ISO && ms < END_ISO)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let t = ms - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // day of the 400-year era, 0–146096
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // from March 1st
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(t / HOUR_MS);
  t -= h * HOUR_MS;
  const m = Math.floor(t / MINUTE_MS);
  t -= m * MINUTE_MS;
  const s = Math.floor(t / 1000);
  return `${TWO[Math.floor(year / 100)]}${TWO[year % 100]}-${TWO[month]}-${TWO[day]}T${TWO[h]}:${TWO[m]}:${TWO[s]}.${THREE[t - s * 1000]}Z`;
}

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
    energyRole: m.energyRole,
    decimals: m.decimals,
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
  ratedPowerKw: d.ratedPowerKw,
  simulated: d.simulated,
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
