import { describe, expect, it } from 'vitest';
import { localTime } from '../../src/simulator/index.js';
import { offsetAt } from '../../src/timeseries/zone.js';
import { mulberry32 } from '../../src/simulator/index.js';
import { DAY, HOUR, MINUTE } from './helpers.js';

/** Offset straight from Intl, no caching: the reference the zone module's cache must agree with. */
function referenceOffsetMs(ts: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(ts);
  const f = Object.fromEntries(parts.map((p) => [p.type, Number(p.value)]));
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(ts / 1000) * 1000;
}

describe('localTime', () => {
  it('When it is summer in Madrid, then local time is UTC+2; in winter UTC+1', () => {
    expect(offsetAt(Date.UTC(2025, 6, 1, 12), 'Europe/Madrid')).toBe(2 * HOUR);
    expect(offsetAt(Date.UTC(2025, 0, 15, 12), 'Europe/Madrid')).toBe(1 * HOUR);
    expect(localTime(Date.UTC(2025, 6, 1, 10, 30), 'Europe/Madrid').hour).toBeCloseTo(12.5, 9);
  });

  it('When the clocks go forward in Madrid, then 00:59 UTC is 01:59 local and 01:00 UTC is 03:00 local', () => {
    // EU DST starts on the last Sunday of March at 01:00 UTC.
    expect(localTime(Date.UTC(2025, 2, 30, 0, 59), 'Europe/Madrid').hour).toBeCloseTo(1 + 59 / 60, 9);
    expect(localTime(Date.UTC(2025, 2, 30, 1, 0), 'Europe/Madrid').hour).toBeCloseTo(3, 9);
  });

  it('When times are asked out of order around a transition, then the cached offset is still right', () => {
    // Lord Howe moves by 30 minutes: 02:00 LHST (+10:30) on 2025-10-05 is 15:30 UTC the day before.
    const tz = 'Australia/Lord_Howe';
    const after = Date.UTC(2025, 9, 4, 15, 30);
    expect(offsetAt(after + 5 * HOUR, tz)).toBe(11 * HOUR);
    expect(offsetAt(after - MINUTE, tz)).toBe(10.5 * HOUR);
    expect(offsetAt(after, tz)).toBe(11 * HOUR);
    expect(offsetAt(after - 3 * HOUR, tz)).toBe(10.5 * HOUR);
  });

  it('When it is Saturday evening UTC in Auckland, then it is already Sunday there', () => {
    const t = localTime(Date.UTC(2025, 5, 14, 20), 'Pacific/Auckland'); // Sat 20:00 UTC = Sun 08:00 NZST
    expect(t.weekday).toBe(0);
    expect(t.isWeekend).toBe(true);
    expect(t.hour).toBeCloseTo(8, 9);
  });

  it('When it is a Wednesday in Madrid, then it is a weekday', () => {
    const t = localTime(Date.UTC(2025, 5, 18, 10), 'Europe/Madrid');
    expect(t.weekday).toBe(3);
    expect(t.isWeekend).toBe(false);
  });

  it('When a year is sampled in random order, then the cached offset always matches Intl', () => {
    const rng = mulberry32(11);
    const zones = ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Santiago'];
    for (let i = 0; i < 4000; i++) {
      const ts = Date.UTC(2025, 0, 1) + Math.floor(rng() * 365 * DAY);
      const tz = zones[i % zones.length];
      expect(offsetAt(ts, tz)).toBe(referenceOffsetMs(ts, tz));
    }
  });
});
