import { describe, expect, it } from 'vitest';
import { counterDeltaIn, type Aggregation, type Partial } from '../../src/timeseries/aggregate.js';
import { aggregateSeries, mergePartials, partialFromReading } from '../helpers/aggregate-oracle.js';

// Three buckets of 10 ms: [0,10) [10,20) [20,30); the middle one has no reading.
const starts = [0, 10, 20];
const end = 30;
const readings: Array<[number, number]> = [
  [1, 4],
  [3, 2],
  [7, 6],
  [22, 5],
  [25, 1],
];
const partials = (): Partial[] => readings.map(([ts, v]) => partialFromReading(ts, v));
const run = (agg: Aggregation, ps: Partial[] = partials(), previous?: { ts: number; value: number }) =>
  aggregateSeries(ps, starts, end, agg, { previous });

describe('aggregateSeries', () => {
  it.each<[Aggregation, (number | null)[]]>([
    ['avg', [4, null, 3]],
    ['min', [2, null, 1]],
    ['max', [6, null, 5]],
    ['sum', [12, null, 6]],
    ['count', [3, 0, 2]],
    ['first', [4, null, 5]],
    ['last', [6, null, 1]],
  ])('When aggregating by %s, then the empty bucket is null (0 for count) and the others are exact', (agg, want) => {
    expect(run(agg)).toEqual(want);
  });

  it('When readings fall outside the window, then they are ignored', () => {
    const ps = [partialFromReading(-5, 100), ...partials(), partialFromReading(30, 100)];
    expect(run('max', ps)).toEqual([6, null, 5]);
    expect(run('count', ps)).toEqual([3, 0, 2]);
  });

  it('When hourly roll-ups are combined, then avg is sum over count, not an average of averages', () => {
    const a = mergePartials(partialFromReading(1, 10), partialFromReading(2, 20)); // avg 15 over 2
    const b = partialFromReading(5, 60); // avg 60 over 1
    expect(run('avg', [a, b])).toEqual([30, null, null]);
  });
});

describe('aggregateSeries delta', () => {
  // A meter in kWh: 10 → 12 → 15 | nothing | 15 → 3 (reset) → 4
  const meter: Array<[number, number]> = [
    [1, 10],
    [4, 12],
    [8, 15],
    [21, 3],
    [26, 4],
  ];
  const meterPartials = () => meter.map(([ts, v]) => partialFromReading(ts, v));

  it('When a counter is reset, then the increase across the reset is the new value itself', () => {
    expect(run('delta', meterPartials())).toEqual([5, null, 4]);
  });

  it('When the previous reading is known, then the first bucket includes the step into the window', () => {
    expect(run('delta', meterPartials(), { ts: -3, value: 7 })).toEqual([8, null, 4]);
  });

  it('When a pair of readings straddles buckets, then the deltas of the buckets add up to the total increase', () => {
    const values = [7, ...meter.map(([, v]) => v)];
    const deltas = run('delta', meterPartials(), { ts: -3, value: 7 });
    const total = deltas.reduce<number>((s, d) => s + (d ?? 0), 0);
    expect(total).toBe(counterDeltaIn(values));
    expect(total).toBe(12);
  });

  it('When readings before the window are passed in, then the latest one seeds the delta like previous', () => {
    const ps = [partialFromReading(-8, 1), partialFromReading(-3, 7), ...meterPartials()];
    expect(run('delta', ps)).toEqual([8, null, 4]);
  });

  it('When roll-ups carry deltaIn, then the result equals aggregating the raw readings', () => {
    const first = meterPartials()
      .slice(0, 3)
      .reduce((a, b) => mergePartials(a, b));
    const second = meterPartials()
      .slice(3)
      .reduce((a, b) => mergePartials(a, b));
    expect(first.deltaIn).toBe(5);
    expect(second.deltaIn).toBe(1);
    expect(run('delta', [first, second], { ts: -3, value: 7 })).toEqual([8, null, 4]);
  });
});

describe('counterDeltaIn', () => {
  it('When values only grow, then it is last minus first', () => {
    expect(counterDeltaIn([1, 2, 5])).toBe(4);
  });

  it('When the counter drops, then counting restarts from 0', () => {
    expect(counterDeltaIn([100, 104, 2, 3])).toBe(4 + 2 + 1);
    expect(counterDeltaIn([])).toBe(0);
    expect(counterDeltaIn([9])).toBe(0);
  });
});

describe('mergePartials', () => {
  it('When two partials are merged, then the inputs are left untouched', () => {
    const a = partialFromReading(1, 3);
    const merged = mergePartials(a, partialFromReading(2, 1));
    expect(a.count).toBe(1);
    expect(merged).toMatchObject({
      count: 2,
      sum: 4,
      min: 1,
      max: 3,
      first: 3,
      last: 1,
      firstTs: 1,
      lastTs: 2,
      deltaIn: 1,
    });
  });
});

describe('roundTo', () => {
  it("When a value is rounded to a metric's decimals, then halves go away from zero on the decimal text a person reads", async () => {
    const { roundTo } = await import('../../src/timeseries/aggregate.js');
    expect(roundTo(1.005, 2)).toBe(1.01);
    expect(roundTo(-1.005, 2)).toBe(-1.01);
    expect(roundTo(2.5, 0)).toBe(3);
    expect(roundTo(-2.5, 0)).toBe(-3);
    expect(roundTo(1234.56789, 3)).toBe(1234.568);
    expect(roundTo(1e-7, 3)).toBe(0);
    expect(roundTo(1.5e21, 2)).toBe(1.5e21);
  });
});
