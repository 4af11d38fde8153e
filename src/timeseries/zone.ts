// Time-zone arithmetic on top of Intl, the only tz database we may rely on (no dependencies).
// An Intl call is too slow to make several per bucket boundary (ten years
// of days must come out in a few ms), so each zone's offsets are memoised as a timeline of
// one-week chunks. A chunk is either constant or holds exactly one transition, found once by
// binary search. Assumption: a zone never changes its offset twice within a week, which holds
// for the tz database since 1900 (the closest pairs are Ramadan suspensions, about a month apart).
// All "wall" values below are local wall-clock times encoded as if they were UTC epoch ms.

import { DAY_MS, SECOND_MS, WEEK_MS } from '../time.js';

const CHUNK_MS = WEEK_MS;
const CHUNK_S = CHUNK_MS / SECOND_MS;

interface Chunk {
  before: number;
  after: number;
  /** First ms with `after` as offset; Infinity when the chunk has no transition. */
  at: number;
}

interface Zone {
  fmt: Intl.DateTimeFormat;
  probes: Map<number, number>;
  chunks: Map<number, Chunk>;
}

const zones = new Map<string, Zone>();
const validity = new Map<string, boolean>();

/** True when Intl knows `tz`. Cached, but bounded because the names come from user input. */
export function isValidTimeZone(tz: string): boolean {
  const known = validity.get(tz);
  if (known !== undefined) return known;
  let ok = true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    ok = false;
  }
  if (validity.size >= 1000) validity.clear();
  validity.set(tz, ok);
  return ok;
}

function zone(tz: string): Zone {
  let z = zones.get(tz);
  if (!z) {
    // hourCycle h23 avoids "24:00" at midnight; format() + regex is cheaper than formatToParts.
    const fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    z = { fmt, probes: new Map(), chunks: new Map() };
    zones.set(tz, z);
  }
  return z;
}

/**
 * Epoch ms of a UTC calendar time, for every year: Date.UTC maps years 0-99 to 1900-1999, so
 * those go through setUTCFullYear. Months and days overflow as in Date.UTC (month 12 is January next).
 */
export function utcTime(y: number, mo: number, d = 1, h = 0, mi = 0, s = 0): number {
  if (y >= 100) return Date.UTC(y, mo, d, h, mi, s);
  const date = new Date(0);
  date.setUTCFullYear(y, mo, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime();
}

const PARTS = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;
/**
 * Intl writes years before 1 AD without an era (1 BC as "1"), which would read as a wrong date.
 * Every zone keeps its local mean time until the 1800s, so an earlier instant takes the offset
 * in force on 0001-01-02 (local year 1 in every zone).
 */
const EARLIEST_S = utcTime(1, 0, 2) / SECOND_MS;

/** Offset in ms at the whole second `sec`, straight from Intl (seconds resolution keeps LMT exact). */
function rawOffset(z: Zone, sec: number): number {
  const ms = Math.max(sec, EARLIEST_S) * SECOND_MS;
  const m = PARTS.exec(z.fmt.format(ms));
  if (!m) throw new RangeError(`Instant ${ms} is outside the supported range (years 0 to 9999)`);
  return utcTime(+m[3], +m[1] - 1, +m[2], +m[4], +m[5], +m[6]) - ms;
}

function probe(z: Zone, k: number): number {
  let o = z.probes.get(k);
  if (o === undefined) {
    o = rawOffset(z, k * CHUNK_S);
    z.probes.set(k, o);
  }
  return o;
}

function chunk(z: Zone, k: number): Chunk {
  let c = z.chunks.get(k);
  if (c) return c;
  const before = probe(z, k);
  const after = probe(z, k + 1);
  let at = Infinity;
  if (before !== after) {
    // Transitions fall on whole seconds, so searching seconds finds the exact instant.
    let lo = k * CHUNK_S;
    let hi = (k + 1) * CHUNK_S;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (rawOffset(z, mid) === before) lo = mid;
      else hi = mid;
    }
    at = hi * SECOND_MS;
  }
  c = { before, after, at };
  z.chunks.set(k, c);
  return c;
}

/** UTC offset of `tz` at instant `t`, in ms: local wall time = t + offsetAt(t, tz). */
export function offsetAt(t: number, tz: string): number {
  const c = chunk(zone(tz), Math.floor(t / CHUNK_MS));
  return t < c.at ? c.before : c.after;
}

/** Smallest instant in (lo, hi] whose offset differs from the offset at lo. */
export function transitionIn(lo: number, hi: number, tz: string): number {
  const o = offsetAt(lo, tz);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid, tz) === o) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The earliest instant whose wall time is >= `wall`. For an ambiguous wall time (clocks set back)
 * that is its first occurrence; for a skipped one (clocks set forward, e.g. midnight in
 * America/Santiago) it is the first existing instant after it, i.e. the transition itself.
 */
export function wallToInstant(wall: number, tz: string): number {
  // The offsets a day either side bracket any transition near `wall` (|offset| <= 14 h).
  const oA = offsetAt(wall - DAY_MS, tz);
  const oB = offsetAt(wall + DAY_MS, tz);
  const cA = wall - oA;
  const cB = wall - oB;
  const okA = offsetAt(cA, tz) === oA;
  const okB = offsetAt(cB, tz) === oB;
  if (okA && okB) return Math.min(cA, cB);
  if (okA) return cA;
  if (okB) return cB;
  return transitionIn(Math.min(cA, cB), Math.max(cA, cB), tz);
}
