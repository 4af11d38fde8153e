// Wall-clock time at the site, because load and tariffs follow local hours, not UTC. The offset
// comes from the one zone module (src/timeseries/zone.ts), whose cache answers in a map look-up:
// a backfill asks it about a million times.
import { offsetAt } from '../timeseries/zone.js';
import { DAY_MS, HOUR_MS } from '../time.js';

export interface LocalTime {
  /** Fractional hour of the local day, 0 ≤ hour < 24. */
  readonly hour: number;
  /** 0 = Sunday … 6 = Saturday, like Date#getDay. */
  readonly weekday: number;
  readonly isWeekend: boolean;
}

export function localTime(ts: number, timezone: string): LocalTime {
  const local = ts + offsetAt(ts, timezone);
  const day = Math.floor(local / DAY_MS);
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return { hour: (local - day * DAY_MS) / HOUR_MS, weekday, isWeekend: weekday === 0 || weekday === 6 };
}
