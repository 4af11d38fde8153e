// Wall-clock time at the site, because load and tariffs follow local hours, not UTC.
// Intl is the only tz database we have without a dependency, but formatToParts
// costs ~15 µs, so at ~1 M steps per backfill we cache the UTC offset over a range.
// Two facts of current (post-1970) IANA rules make that safe: every transition
// falls on a quarter hour in UTC (even Lord Howe's 30-minute shift), and no zone
// changes offset twice within 6 hours. So if the offset at a quarter hour equals
// the one 6 h later, it holds for that whole span; if not, we cache 15 minutes.

const DAY_MS = 86_400_000;
const BUCKET_MS = 15 * 60_000;
const SPAN_MS = 6 * 3_600_000;

interface TzCache {
  readonly format: Intl.DateTimeFormat;
  validFrom: number;
  validUntil: number;
  offsetMs: number;
}

const caches = new Map<string, TzCache>();

function cacheFor(timezone: string): TzCache {
  let cache = caches.get(timezone);
  if (!cache) {
    // Throws RangeError for an unknown zone: callers validate at model creation.
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    cache = { format, validFrom: 0, validUntil: 0, offsetMs: 0 };
    caches.set(timezone, cache);
  }
  return cache;
}

function computeOffsetMs(format: Intl.DateTimeFormat, ts: number): number {
  const f: Record<string, number> = {};
  for (const part of format.formatToParts(ts)) f[part.type] = Number(part.value);
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return asUtc - Math.floor(ts / 1000) * 1000;
}

/** Milliseconds to add to a UTC instant to get the site's wall-clock time. */
export function utcOffsetMs(ts: number, timezone: string): number {
  const cache = cacheFor(timezone);
  if (ts >= cache.validFrom && ts < cache.validUntil) return cache.offsetMs;
  const start = Math.floor(ts / BUCKET_MS) * BUCKET_MS;
  const offset = computeOffsetMs(cache.format, start);
  const steady = computeOffsetMs(cache.format, start + SPAN_MS) === offset;
  cache.validFrom = start;
  cache.validUntil = start + (steady ? SPAN_MS : BUCKET_MS);
  cache.offsetMs = offset;
  return offset;
}

export interface LocalTime {
  /** Fractional hour of the local day, 0 ≤ hour < 24. */
  readonly hour: number;
  /** 0 = Sunday … 6 = Saturday, like Date#getDay. */
  readonly weekday: number;
  readonly isWeekend: boolean;
}

export function localTime(ts: number, timezone: string): LocalTime {
  const local = ts + utcOffsetMs(ts, timezone);
  const day = Math.floor(local / DAY_MS);
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  return { hour: (local - day * DAY_MS) / 3_600_000, weekday, isWeekend: weekday === 0 || weekday === 6 };
}
