import { invalid } from '../errors.js';

const zones = new Map<string, boolean>();

/** IANA zone check via Intl (no dependency); cached because it is asked often. */
export function isValidTimeZone(tz: string): boolean {
  let ok = zones.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    zones.set(tz, ok);
  }
  return ok;
}

export function assertTimeZone(tz: string | undefined, path = '/timezone'): void {
  if (tz !== undefined && !isValidTimeZone(tz)) throw invalid([{ path, message: `Unknown time zone "${tz}" (use an IANA name such as Europe/Berlin)` }]);
}

/** Latitude and longitude come together or not at all. */
export function assertCoordinates(input: { latitude?: number | null; longitude?: number | null }): void {
  const hasLat = input.latitude !== undefined && input.latitude !== null;
  const hasLon = input.longitude !== undefined && input.longitude !== null;
  if (input.latitude !== undefined && input.longitude !== undefined && hasLat !== hasLon) {
    throw invalid([{ path: hasLat ? '/longitude' : '/latitude', message: 'Latitude and longitude must be given together' }]);
  }
}
