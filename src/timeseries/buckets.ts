// Bucket boundaries for every interval. Sub-hour buckets align to the UTC epoch (every zone's
// offset is a whole number of 15 minutes today, so they also look aligned locally); 1h follows the
// local hour; 1d/1w/1mo follow the local calendar, so a day can last 23 or 25 hours.
import type { Interval } from './interval.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../time.js';
import { offsetAt, transitionIn, utcTime, wallToInstant } from './zone.js';

const FIXED_MS: Partial<Record<Interval, number>> = { '1m': MINUTE_MS, '5m': 5 * MINUTE_MS, '15m': 15 * MINUTE_MS };

/** Upper bounds on bucket length, generous enough for historical oddities (a day repeated in 1867 Alaska). */
const MAX_LEN_MS: Record<Interval, number> = {
  '1m': MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '1h': HOUR_MS,
  '1d': 3 * DAY_MS,
  '1w': 9 * DAY_MS,
  '1mo': 33 * DAY_MS,
};

const mod = (a: number, n: number): number => ((a % n) + n) % n;

// 1h: the start of the local hour under the offset in force. Where the offset moves by a
// non-whole hour (Australia/Lord_Howe shifts 30 min) the grid moves too, and the transition
// itself becomes a boundary, leaving one short bucket.
function hourStartOf(ts: number, tz: string): number {
  const o = offsetAt(ts, tz);
  const s = Math.floor((ts + o) / HOUR_MS) * HOUR_MS - o;
  const os = offsetAt(s, tz);
  return mod(o - os, HOUR_MS) === 0 ? s : transitionIn(s, ts, tz);
}

function hourNext(t: number, tz: string): number {
  const o = offsetAt(t, tz);
  const n = Math.floor((t + o) / HOUR_MS) * HOUR_MS - o + HOUR_MS;
  const on = offsetAt(n, tz);
  return mod(on - o, HOUR_MS) === 0 ? n : transitionIn(t, n, tz);
}

// Calendar intervals work on wall times: floor the local date, then map back with wallToInstant.
type CalendarInterval = '1d' | '1w' | '1mo';
const isCalendar = (i: Interval): i is CalendarInterval => i === '1d' || i === '1w' || i === '1mo';

function floorWall(wall: number, interval: CalendarInterval): number {
  const day = Math.floor(wall / DAY_MS);
  if (interval === '1d') return day * DAY_MS;
  // Epoch day 0 (1970-01-01) was a Thursday; ISO weeks start on Monday.
  if (interval === '1w') return (day - mod(day + 3, 7)) * DAY_MS;
  const d = new Date(wall);
  return utcTime(d.getUTCFullYear(), d.getUTCMonth());
}

function nextWall(wall: number, interval: CalendarInterval): number {
  if (interval === '1d') return wall + DAY_MS;
  if (interval === '1w') return wall + 7 * DAY_MS;
  const d = new Date(wall);
  return utcTime(d.getUTCFullYear(), d.getUTCMonth() + 1);
}

/** Smallest boundary > t. Loops only over skipped days (Pacific/Apia lost 2011-12-30). */
function calendarNext(t: number, interval: CalendarInterval, tz: string): number {
  let wall = floorWall(t + offsetAt(t, tz), interval);
  for (;;) {
    wall = nextWall(wall, interval);
    const n = wallToInstant(wall, tz);
    if (n > t) return n;
  }
}

function calendarStartOf(ts: number, interval: CalendarInterval, tz: string): number {
  let wall = floorWall(ts + offsetAt(ts, tz), interval);
  let s = wallToInstant(wall, tz);
  // After clocks go back across midnight, a reading can show yesterday's date yet belong to today.
  for (;;) {
    wall = nextWall(wall, interval);
    const n = wallToInstant(wall, tz);
    if (n > ts) return s;
    s = n;
  }
}

function checkFinite(...values: number[]): void {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`Expected a finite instant, got ${v}`);
}

/** Start (epoch ms) of the bucket containing `ts`. */
export function bucketStartOf(ts: number, interval: Interval, tz: string): number {
  checkFinite(ts);
  const fixed = FIXED_MS[interval];
  if (fixed) return Math.floor(ts / fixed) * fixed;
  return isCalendar(interval) ? calendarStartOf(ts, interval, tz) : hourStartOf(ts, tz);
}

/** End (exclusive) of the bucket starting at `start`, which is also the next bucket's start. */
export function bucketEnd(start: number, interval: Interval, tz: string): number {
  checkFinite(start);
  const fixed = FIXED_MS[interval];
  if (fixed) return Math.floor(start / fixed) * fixed + fixed;
  return isCalendar(interval) ? calendarNext(start, interval, tz) : hourNext(start, tz);
}

/** Starts of every bucket intersecting [from, to); the first may start before `from`. */
export function bucketStarts(from: number, to: number, interval: Interval, tz: string): number[] {
  checkFinite(from, to);
  const starts: number[] = [];
  if (!(to > from)) return starts;
  const fixed = FIXED_MS[interval];
  if (fixed) {
    for (let s = Math.floor(from / fixed) * fixed; s < to; s += fixed) starts.push(s);
    return starts;
  }
  for (let s = bucketStartOf(from, interval, tz); s < to; s = bucketEnd(s, interval, tz)) starts.push(s);
  return starts;
}

/**
 * Number of buckets intersecting [from, to), but stops counting past `limit` (returns limit + 1)
 * so that choosing an interval for a ten-year window never enumerates millions of minutes.
 */
export function countBuckets(from: number, to: number, interval: Interval, tz: string, limit: number): number {
  checkFinite(from, to);
  if (!(to > from)) return 0;
  const fixed = FIXED_MS[interval];
  if (fixed) return Math.min(Math.ceil(to / fixed) - Math.floor(from / fixed), limit + 1);
  // Buckets are never longer than MAX_LEN_MS, so this many are needed at least.
  if (Math.ceil((to - from) / MAX_LEN_MS[interval]) > limit) return limit + 1;
  let n = 0;
  for (let s = bucketStartOf(from, interval, tz); s < to && n <= limit; s = bucketEnd(s, interval, tz)) n++;
  return n;
}

/** For daily roll-ups (src/db/repositories/dailies.ts): the local day containing `ts` in `tz`, as [start, end), or null when a midnight is not on a UTC hour. */
export function localDay(ts: number, tz: string): [number, number] | null {
  const start = bucketStartOf(ts, '1d', tz);
  const end = bucketEnd(start, '1d', tz);
  return start % HOUR_MS === 0 && end % HOUR_MS === 0 ? [start, end] : null;
}

/** True when every local midnight in [from, to] is on a UTC hour, so each of those days has its roll-up. */
export function daysAligned(from: number, to: number, tz: string): boolean {
  return from % HOUR_MS === 0 && to % HOUR_MS === 0 && bucketStarts(from, to, '1d', tz).every((t) => t % HOUR_MS === 0);
}
