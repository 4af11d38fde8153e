import { invalid } from '../errors.js';
import { isValidTimeZone } from '../timeseries/zone.js';

// One zone check for the whole app: the time-series engine's (cached, bounded).
export { isValidTimeZone };

export function assertTimeZone(tz: string | undefined, path = '/timezone'): void {
  if (tz !== undefined && !isValidTimeZone(tz))
    throw invalid([{ path, message: `Unknown time zone "${tz}" (use an IANA name such as Europe/Berlin)` }]);
}

/**
 * A zone name as IANA spells it: Intl takes `europe/berlin`, but a site should not show it so.
 * Only the case is mended; ICU's own canonical name can be an older alias (it turns
 * America/Argentina/Buenos_Aires into America/Buenos_Aires), so any other difference keeps what
 * was given.
 */
export function zoneName(tz: string): string {
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz;
}

/** Latitude and longitude come together or not at all. */
export function assertCoordinates(input: { latitude?: number | null; longitude?: number | null }): void {
  const hasLat = input.latitude !== undefined && input.latitude !== null;
  const hasLon = input.longitude !== undefined && input.longitude !== null;
  if (input.latitude !== undefined && input.longitude !== undefined && hasLat !== hasLon) {
    throw invalid([
      { path: hasLat ? '/longitude' : '/latitude', message: 'Latitude and longitude must be given together' },
    ]);
  }
}
