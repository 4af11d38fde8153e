import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/time.js';
import { isValidTimeZone, offsetAt, wallToInstant } from '../../src/timeseries/zone.js';

const at = (iso: string): number => Date.parse(iso);

describe('offsetAt', () => {
  it('When Europe/Berlin switches to summer time, then the offset changes at 01:00 UTC exactly', () => {
    expect(offsetAt(at('2024-03-31T00:59:59.999Z'), 'Europe/Berlin')).toBe(1 * HOUR_MS);
    expect(offsetAt(at('2024-03-31T01:00:00Z'), 'Europe/Berlin')).toBe(2 * HOUR_MS);
  });

  it('When the zone has a half-hour offset, then the offset is exact', () => {
    expect(offsetAt(at('2024-06-01T12:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * HOUR_MS);
    expect(offsetAt(at('2024-06-01T12:00:00Z'), 'Asia/Kathmandu')).toBe(5.75 * HOUR_MS);
  });

  it('When the instant is before 1970, then the historical offset is used', () => {
    expect(offsetAt(at('1960-07-01T00:00:00Z'), 'America/New_York')).toBe(-4 * HOUR_MS);
  });
});

describe('wallToInstant', () => {
  it('When local midnight is skipped by DST (America/Santiago), then the day starts at the first existing instant', () => {
    // 2023-09-03 00:00 -04 never happened: clocks jumped to 01:00 -03 at 04:00 UTC.
    expect(wallToInstant(at('2023-09-03T00:00:00Z'), 'America/Santiago')).toBe(at('2023-09-03T04:00:00Z'));
  });

  it('When a local time happens twice (clocks set back), then its first occurrence is returned', () => {
    // 2024-10-27 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET) in Berlin.
    expect(wallToInstant(at('2024-10-27T02:30:00Z'), 'Europe/Berlin')).toBe(at('2024-10-27T00:30:00Z'));
  });

  it('When a local time is in the spring gap, then the transition instant is returned', () => {
    expect(wallToInstant(at('2024-03-31T02:30:00Z'), 'Europe/Berlin')).toBe(at('2024-03-31T01:00:00Z'));
  });

  it('When a local time is ordinary, then it maps back through the offset', () => {
    expect(wallToInstant(at('2024-01-15T00:00:00Z'), 'Asia/Kolkata')).toBe(at('2024-01-14T18:30:00Z'));
  });
});

describe('isValidTimeZone', () => {
  it('When the name is an IANA zone, then it is valid', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
  });

  it('When the name is unknown or empty, then it is invalid (and asking twice gives the same answer)', () => {
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
