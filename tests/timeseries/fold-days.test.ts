import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldDays, type DayRow } from '../../src/db/series.js';
import type { Aggregation } from '../../src/timeseries/aggregate.js';

const DAY = 86_400_000;
const AGGS: Aggregation[] = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last', 'delta'];

/** The per-bucket reading the SQL did before: every bucket looks up its own days. */
function perBucket(rows: DayRow[], edges: number[], agg: Aggregation): (number | null)[] {
  return edges.slice(0, -1).map((s, i) => {
    const inside = rows.filter((r) => r[0] >= s && r[0] < edges[i + 1]);
    if (inside.length === 0) return null;
    const add = (k: number) => inside.reduce((a, r) => a + r[k], 0);
    switch (agg) {
      case 'avg':
        return add(2) / add(1);
      case 'sum':
        return add(2);
      case 'count':
        return add(1);
      case 'min':
        return Math.min(...inside.map((r) => r[3]));
      case 'max':
        return Math.max(...inside.map((r) => r[4]));
      case 'first':
        return inside[0][5];
      case 'last':
        return inside[inside.length - 1][6];
      case 'delta':
        return add(7);
    }
  });
}

describe('Daily roll-ups folded into buckets from one range read', () => {
  it('When days with gaps are folded into buckets of one to nine days, then every aggregation equals a lookup per bucket', () => {
    const day = fc.tuple(
      fc.integer({ min: 1, max: 1440 }),
      fc.integer({ min: -500, max: 500 }),
      fc.integer({ min: 0, max: 100 }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.integer({ min: -3, max: 40 }), day), { selector: ([d]) => d, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
        (days, widths) => {
          const rows: DayRow[] = days
            .sort((a, b) => a[0] - b[0])
            .map(([d, [count, v, delta]]) => [d * DAY, count, v * count, v - 1, v + 1, v, v + 2, delta]);
          const edges = [0];
          for (const w of widths) edges.push(edges[edges.length - 1] + w * DAY);
          // The repositories read [first edge, last edge); rows outside are skipped all the same.
          for (const agg of AGGS) expect(foldDays(rows, edges, agg), agg).toEqual(perBucket(rows, edges, agg));
        },
      ),
    );
  });

  it('When a bucket holds no day, then it is null, not 0, whatever the aggregation', () => {
    const rows: DayRow[] = [[2 * DAY, 3, 30, 5, 15, 5, 15, 7]];
    expect(foldDays(rows, [0, DAY, 2 * DAY, 3 * DAY], 'delta')).toEqual([null, null, 7]);
    expect(foldDays(rows, [0, DAY, 2 * DAY, 3 * DAY], 'count')).toEqual([null, null, 3]);
  });
});
