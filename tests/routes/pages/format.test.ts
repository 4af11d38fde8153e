import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { format } from '../../../src/routes/pages/format.js';
import { iso } from '../../../src/services/views.js';

describe('Page formatting (it.f)', () => {
  it('When an instant of years 1970–2100 is shown, then it reads like Intl en-GB in UTC ("26 Nov, 14:03:27 UTC"), with "Sep" on every Node version', () => {
    const intl = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', second: '2-digit', day: 'numeric', month: 'short', hourCycle: 'h23' });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => format.time(iso(ms)) === `${intl.format(new Date(ms)).replace('Sept', 'Sep')} UTC`),
      { numRuns: 5_000 },
    );
    expect(format.time('2026-09-03T00:05:07.000Z')).toBe('3 Sep, 00:05:07 UTC');
  });

  it('When the time is missing, not ISO UTC, or not a time at all, then it shows a dash or the same instant in UTC', () => {
    expect(format.time(null)).toBe('–');
    expect(format.time(undefined)).toBe('–');
    expect(format.time('')).toBe('–');
    expect(format.time('yesterday')).toBe('–');
    expect(format.time('2024-13-40T25:61:61Z')).toBe('–');
    expect(format.time('2026-11-26T15:03:27+01:00')).toBe('26 Nov, 14:03:27 UTC');
  });
});
