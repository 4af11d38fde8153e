import { describe, expect, it } from 'vitest';
import { bucketStarts } from '../../src/timeseries/buckets.js';
import { chooseInterval, INTERVALS, isInterval } from '../../src/timeseries/interval.js';

const at = (iso: string): number => Date.parse(iso);

describe('chooseInterval', () => {
  it('When one hour is asked for with room for 60 points, then minutes are chosen', () => {
    expect(chooseInterval(at('2024-05-01T10:00:00Z'), at('2024-05-01T11:00:00Z'), 60, 'UTC')).toBe('1m');
  });

  it('When the window is one minute too long for 1m, then the next interval is chosen', () => {
    expect(chooseInterval(at('2024-05-01T10:00:00Z'), at('2024-05-01T11:01:00Z'), 60, 'UTC')).toBe('5m');
  });

  it('When the window starts mid-bucket, then the partial first bucket is counted too', () => {
    // 10:00:30 to 11:00:00 touches 60 minute buckets; 10:00:30 to 11:00:30 touches 61.
    expect(chooseInterval(at('2024-05-01T10:00:30Z'), at('2024-05-01T11:00:00Z'), 60, 'UTC')).toBe('1m');
    expect(chooseInterval(at('2024-05-01T10:00:30Z'), at('2024-05-01T11:00:30Z'), 60, 'UTC')).toBe('5m');
  });

  it('When a week is shown in 200 points, then hours are chosen; in 7 points, days', () => {
    const from = at('2024-05-06T00:00:00Z');
    const to = at('2024-05-13T00:00:00Z');
    expect(chooseInterval(from, to, 200, 'UTC')).toBe('1h');
    expect(chooseInterval(from, to, 7, 'UTC')).toBe('1d');
    expect(chooseInterval(from, to, 1, 'UTC')).toBe('1w');
  });

  it('When the window contains the 25-hour day in Europe/Berlin, then its extra hour is counted', () => {
    // 2024-10-27 local day: 25 hourly buckets, so 24 points are not enough for 1h.
    const from = at('2024-10-26T22:00:00Z');
    const to = at('2024-10-27T23:00:00Z');
    expect(bucketStarts(from, to, '1h', 'Europe/Berlin')).toHaveLength(25);
    expect(chooseInterval(from, to, 25, 'Europe/Berlin')).toBe('1h');
    expect(chooseInterval(from, to, 24, 'Europe/Berlin')).toBe('1d');
  });

  it('When even monthly buckets exceed maxPoints, then no interval fits', () => {
    expect(chooseInterval(at('2000-01-01T00:00:00Z'), at('2024-01-01T00:00:00Z'), 100, 'UTC')).toBeNull();
    expect(chooseInterval(at('2000-01-01T00:00:00Z'), at('2024-01-01T00:00:00Z'), 288, 'UTC')).toBe('1mo');
  });

  it('When the window is ten years and maxPoints is 1,000, then weeks are chosen', () => {
    expect(chooseInterval(at('2015-01-01T00:00:00Z'), at('2025-01-01T00:00:00Z'), 1000, 'Europe/Paris')).toBe('1w');
  });
});

describe('isInterval', () => {
  it('When the value is one of INTERVALS, then it is accepted; auto and typos are not', () => {
    for (const i of INTERVALS) expect(isInterval(i)).toBe(true);
    expect(isInterval('auto')).toBe(false);
    expect(isInterval('2h')).toBe(false);
  });
});
