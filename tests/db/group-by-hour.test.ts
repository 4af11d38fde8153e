// Ingestion's grouping of a batch by metric and hour (src/db/repositories/readings.ts): the
// roll-ups and latest values are built from it.
import { describe, expect, it } from 'vitest';
import { groupByHour } from '../../src/db/repositories/readings.js';

const H = Date.UTC(2026, 0, 15, 8);
const HOUR = 3_600_000;

describe('groupByHour', () => {
  it("When a batch interleaves metrics and hours, then it returns metrics ascending, each metric's hours ascending, readings ascending", () => {
    const groups = groupByHour([
      { metricPk: 7, ts: H + HOUR + 60_000, value: 1 },
      { metricPk: 3, ts: H + 120_000, value: 2 },
      { metricPk: 7, ts: H + 60_000, value: 3 },
      { metricPk: 3, ts: H + 60_000, value: 4 },
      { metricPk: 7, ts: H + HOUR, value: 5 }, // exactly on the hour: that hour, not the one before
      { metricPk: 7, ts: H + HOUR - 1, value: 6 },
    ]);
    expect(groups).toEqual([
      [
        3,
        H,
        [
          [H + 60_000, 4],
          [H + 120_000, 2],
        ],
      ],
      [
        7,
        H,
        [
          [H + 60_000, 3],
          [H + HOUR - 1, 6],
        ],
      ],
      [
        7,
        H + HOUR,
        [
          [H + HOUR, 5],
          [H + HOUR + 60_000, 1],
        ],
      ],
    ]);
  });

  it('When a timestamp repeats in a batch, then one pair remains with the value sent last', () => {
    expect(
      groupByHour([
        { metricPk: 1, ts: H + 2, value: 1 },
        { metricPk: 1, ts: H + 1, value: 2 },
        { metricPk: 1, ts: H + 2, value: 3 },
        { metricPk: 1, ts: H + 2, value: 4 },
      ]),
    ).toEqual([
      [
        1,
        H,
        [
          [H + 1, 2],
          [H + 2, 4],
        ],
      ],
    ]);
    // In order but repeated: the ascending shortcut must not keep both.
    expect(
      groupByHour([
        { metricPk: 1, ts: H, value: 1 },
        { metricPk: 1, ts: H, value: 2 },
      ]),
    ).toEqual([[1, H, [[H, 2]]]]);
  });

  it('When metric keys are large and hours far apart, then no two metrics share a group', () => {
    const late = Date.UTC(2200, 0, 1);
    const groups = groupByHour([
      { metricPk: 2 ** 31, ts: 0, value: 1 },
      { metricPk: 2 ** 31 - 1, ts: late, value: 2 },
    ]);
    expect(groups).toEqual([
      [2 ** 31 - 1, late, [[late, 2]]],
      [2 ** 31, 0, [[0, 1]]],
    ]);
  });

  it('When a timestamp is before 1970, after 2209 or not a number, then the batch is refused before anything is written', () => {
    for (const ts of [-1, Date.UTC(2210, 0, 1), Number.NaN]) {
      expect(() =>
        groupByHour([
          { metricPk: 1, ts: H, value: 1 },
          { metricPk: 1, ts, value: 1 },
        ]),
      ).toThrow(RangeError);
    }
  });

  it('When a metric key reaches 2^32, then the batch is refused instead of two hours sharing a group', () => {
    expect(() =>
      groupByHour([
        { metricPk: 2 ** 32, ts: 0, value: 1 },
        { metricPk: 2 ** 32 + 1, ts: HOUR, value: 2 },
      ]),
    ).toThrow(RangeError);
    expect(() => groupByHour([{ metricPk: -1, ts: 0, value: 1 }])).toThrow(RangeError);
    expect(groupByHour([{ metricPk: 2 ** 32 - 1, ts: HOUR, value: 2 }])).toEqual([[2 ** 32 - 1, HOUR, [[HOUR, 2]]]]);
  });
});
