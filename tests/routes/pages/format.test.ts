import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { format } from '../../../src/routes/pages/format.js';
import { iso } from '../../../src/services/views.js';

describe('Page formatting (it.f)', () => {
  it('When an instant of years 1970–2100 is shown, then it reads like Intl en-GB in UTC ("26 Nov, 14:03:27 UTC"), with "Sep" on every Node version', () => {
    const intl = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'UTC',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      day: 'numeric',
      month: 'short',
      hourCycle: 'h23',
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (ms) => format.time(iso(ms)) === `${intl.format(new Date(ms)).replace('Sept', 'Sep')} UTC`,
      ),
      { numRuns: 5_000 },
    );
    expect(format.time('2026-09-03T00:05:07.000Z')).toBe('3 Sep, 00:05:07 UTC');
  });

  it("When an instant is shown in a site's zone, then it reads like Intl en-GB there (24-hour, day before month), with no zone suffix", () => {
    const zones = [
      'Europe/Amsterdam',
      'Asia/Kolkata',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'UTC',
    ];
    const intl = new Map(
      zones.map((tz) => [
        tz,
        new Intl.DateTimeFormat('en-GB', {
          timeZone: tz,
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
          day: 'numeric',
          month: 'short',
          hourCycle: 'h23',
        }),
      ]),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: -3_786_825_600_000, max: 4_102_444_800_000 }), // 1850–2100
        fc.constantFrom(...zones),
        (ms, tz) => format.time(iso(ms), tz) === intl.get(tz)!.format(new Date(ms)).replace('Sept', 'Sep'),
      ),
      { numRuns: 5_000 },
    );
    // Across Amsterdam's autumn change: 02:30 comes twice, once in summer time, once in winter time.
    expect(format.time('2026-10-25T00:30:00.000Z', 'Europe/Amsterdam')).toBe('25 Oct, 02:30:00');
    expect(format.time('2026-10-25T01:30:00.000Z', 'Europe/Amsterdam')).toBe('25 Oct, 02:30:00');
    expect(format.time('2026-12-06T20:15:30.000Z', 'Asia/Kolkata')).toBe('7 Dec, 01:45:30');
    expect(format.time('2026-12-06T20:15:30.000Z', 'UTC')).toBe('6 Dec, 20:15:30');
    // Offsets with seconds (local mean time, Madras time in Kolkata until 1941) take the long way.
    expect(format.time('1900-01-01T12:00:00.000Z', 'Asia/Kolkata')).toBe(
      intl.get('Asia/Kolkata')!.format(Date.UTC(1900, 0, 1, 12)),
    );
    expect(format.time('1900-01-01T12:00:00.000Z', 'Asia/Kolkata')).not.toMatch(/:00$/);
  });

  it('When the zone is unknown, then the time is shown in UTC and says so', () => {
    expect(format.time('2026-12-06T20:15:30.000Z', 'Mars/Olympus_Mons')).toBe('6 Dec, 20:15:30 UTC');
    expect(format.time(null, 'Europe/Amsterdam')).toBe('–');
  });

  it('When the time is missing, not ISO UTC, or not a time at all, then it shows a dash or the same instant in UTC', () => {
    expect(format.time(null)).toBe('–');
    expect(format.time(undefined)).toBe('–');
    expect(format.time('')).toBe('–');
    expect(format.time('yesterday')).toBe('–');
    expect(format.time('2024-13-40T25:61:61Z')).toBe('–');
    expect(format.time('2026-11-26T15:03:27+01:00')).toBe('26 Nov, 14:03:27 UTC');
  });

  it('When a number is shown, then it reads exactly as Intl en-GB with at most two decimals writes it (halves, tiny, huge, negative zero, not a number)', () => {
    const intl = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });
    const values = fc.oneof(
      fc.double(),
      fc.integer().map((i) => i / 1000), // halves of hundredths: 1.005, 2.675, …
      fc.integer().map((i) => i / 200),
      fc.double({ min: -1e-3, max: 1e-3 }),
      fc.double({ min: -1e16, max: 1e16 }),
    );
    fc.assert(
      fc.property(values, (v) => format.number(v) === intl.format(v)),
      { numRuns: 20_000 },
    );
    for (const v of [
      1.005,
      0.285,
      2.675,
      -1.005,
      -0.001,
      -0,
      0,
      9.995,
      999.995,
      1234567.891,
      9e13 + 0.125,
      123456789012345.67,
      1e21,
      1e-7,
      NaN,
      Infinity,
      -Infinity,
    ]) {
      expect(format.number(v)).toBe(intl.format(v));
    }
    expect(format.number(1.005)).toBe('1.01');
    expect(format.number(-1234.5)).toBe('-1,234.5');
    expect(format.number(null)).toBe('–');
    expect(format.number(undefined)).toBe('–');
  });

  it('When a device type is named, then it reads as words, with EV and PV in capitals, every time', () => {
    for (let i = 0; i < 2; i++) {
      expect(format.typeName('wind_turbine')).toBe('Wind turbine');
      expect(format.typeName('ev_charger')).toBe('EV charger');
      expect(format.typeName('pv_array')).toBe('PV array');
      expect(format.typeName('battery')).toBe('Battery');
    }
  });
});
