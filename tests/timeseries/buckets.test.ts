import { describe, expect, it } from 'vitest';
import { bucketEnd, bucketStartOf, bucketStarts } from '../../src/timeseries/buckets.js';
import { bucketIndexer } from '../helpers/aggregate-oracle.js';
import { HOUR_MS } from '../../src/time.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number[]): string[] => ms.map((t) => new Date(t).toISOString());

describe('bucketStarts', () => {
  it('When the window starts mid-bucket, then the first bucket starts before the window', () => {
    const starts = bucketStarts(at('2024-01-01T00:07:00Z'), at('2024-01-01T00:20:00Z'), '5m', 'UTC');
    expect(iso(starts)).toEqual(['2024-01-01T00:05:00.000Z', '2024-01-01T00:10:00.000Z', '2024-01-01T00:15:00.000Z']);
  });

  it('When the window is empty or reversed, then there are no buckets', () => {
    expect(bucketStarts(1000, 1000, '1m', 'UTC')).toEqual([]);
    expect(bucketStarts(2000, 1000, '1d', 'UTC')).toEqual([]);
  });

  it('When the window covers the spring DST change in Europe/Berlin, then that day bucket lasts 23 hours', () => {
    const starts = bucketStarts(at('2024-03-30T12:00:00Z'), at('2024-03-31T12:00:00Z'), '1d', 'Europe/Berlin');
    expect(iso(starts)).toEqual(['2024-03-29T23:00:00.000Z', '2024-03-30T23:00:00.000Z']);
    expect(bucketEnd(starts[1], '1d', 'Europe/Berlin') - starts[1]).toBe(23 * HOUR_MS);
  });

  it('When the window covers the autumn DST change in Europe/Berlin, then that day bucket lasts 25 hours', () => {
    const starts = bucketStarts(at('2024-10-27T12:00:00Z'), at('2024-10-28T12:00:00Z'), '1d', 'Europe/Berlin');
    expect(iso(starts)).toEqual(['2024-10-26T22:00:00.000Z', '2024-10-27T23:00:00.000Z']);
    expect(starts[1] - starts[0]).toBe(25 * HOUR_MS);
  });

  it('When local midnight does not exist (America/Santiago), then that day starts at 01:00 local and lasts 23 hours', () => {
    const starts = bucketStarts(at('2023-09-02T12:00:00Z'), at('2023-09-04T12:00:00Z'), '1d', 'America/Santiago');
    expect(iso(starts)).toEqual(['2023-09-02T04:00:00.000Z', '2023-09-03T04:00:00.000Z', '2023-09-04T03:00:00.000Z']);
  });

  it('When a whole local day was skipped (Pacific/Apia, 2011-12-30), then no empty bucket is produced for it', () => {
    const starts = bucketStarts(at('2011-12-29T12:00:00Z'), at('2011-12-31T12:00:00Z'), '1d', 'Pacific/Apia');
    expect(iso(starts)).toEqual(['2011-12-29T10:00:00.000Z', '2011-12-30T10:00:00.000Z', '2011-12-31T10:00:00.000Z']);
  });

  it('When the zone is Asia/Kolkata (+05:30), then hourly buckets start at half past the UTC hour', () => {
    const starts = bucketStarts(at('2024-01-01T00:00:00Z'), at('2024-01-01T02:00:00Z'), '1h', 'Asia/Kolkata');
    expect(iso(starts)).toEqual(['2023-12-31T23:30:00.000Z', '2024-01-01T00:30:00.000Z', '2024-01-01T01:30:00.000Z']);
  });

  it('When clocks go back in Europe/Berlin, then hourly buckets stay one UTC hour long', () => {
    const starts = bucketStarts(at('2024-10-27T00:00:00Z'), at('2024-10-27T03:00:00Z'), '1h', 'Europe/Berlin');
    expect(iso(starts)).toEqual(['2024-10-27T00:00:00.000Z', '2024-10-27T01:00:00.000Z', '2024-10-27T02:00:00.000Z']);
  });

  it('When the window spans January 31 into a leap-year February, then months start on the 1st local midnight', () => {
    const starts = bucketStarts(at('2024-01-31T12:00:00Z'), at('2024-02-29T23:00:00Z'), '1mo', 'Europe/Berlin');
    expect(iso(starts)).toEqual(['2023-12-31T23:00:00.000Z', '2024-01-31T23:00:00.000Z']);
    // Leap-year February in Berlin: 29 days, ending at March 1st 00:00 CET.
    expect(bucketEnd(starts[1], '1mo', 'Europe/Berlin')).toBe(at('2024-02-29T23:00:00Z'));
    expect(bucketStartOf(at('2024-02-29T12:00:00Z'), '1mo', 'UTC')).toBe(at('2024-02-01T00:00:00Z'));
  });

  it('When bucketing by week, then ISO weeks start on Monday even across New Year', () => {
    // 2023-01-01 was a Sunday, so it belongs to the week of Monday 2022-12-26.
    const starts = bucketStarts(at('2023-01-01T10:00:00Z'), at('2023-01-10T00:00:00Z'), '1w', 'UTC');
    expect(iso(starts)).toEqual(['2022-12-26T00:00:00.000Z', '2023-01-02T00:00:00.000Z', '2023-01-09T00:00:00.000Z']);
    expect(bucketStartOf(at('2024-01-03T12:00:00Z'), '1w', 'Europe/Berlin')).toBe(at('2023-12-31T23:00:00Z'));
  });

  // Speed is measured in bench/, never in timed tests; this checks the counts only.
  it('When the window is 10 years of Berlin days or 10,000 minutes, then every bucket is there', () => {
    const from = at('2014-12-31T23:00:00Z'); // 2015-01-01 00:00 in Berlin
    const to = at('2024-12-31T23:00:00Z');
    expect(bucketStarts(from, to, '1d', 'Europe/Berlin')).toHaveLength(3653);
    expect(bucketStarts(from, from + 10_000 * 60_000, '1m', 'UTC')).toHaveLength(10_000);
  });
});

describe('bucketIndexer', () => {
  const starts = [0, 10, 20, 30];
  it('When readings arrive in order, then each maps to its bucket and the end is exclusive', () => {
    const indexOf = bucketIndexer(starts, 40);
    expect([0, 5, 10, 19, 20, 35, 39, 40].map(indexOf)).toEqual([0, 0, 1, 1, 2, 3, 3, -1]);
  });

  it('When readings jump around or fall outside, then binary search still finds the bucket', () => {
    const indexOf = bucketIndexer(starts, 40);
    expect([35, 2, 25, -1, 12, 100].map(indexOf)).toEqual([3, 0, 2, -1, 1, -1]);
    expect(bucketIndexer([], 10)(5)).toBe(-1);
  });
});
