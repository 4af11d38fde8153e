import { describe, expect, it } from 'vitest';
import { evaluate, ruleProblems, type RuleSpec } from '../../src/alarms/evaluate.js';

const rule = (r: Partial<RuleSpec>): RuleSpec => ({
  condition: 'above',
  threshold: null,
  low: null,
  high: null,
  clearThreshold: null,
  forSeconds: 0,
  noDataMinutes: null,
  ...r,
});
const min = (n: number) => n * 60_000;

describe('evaluate', () => {
  it('When a value goes below 10 % and comes back above 15 %, then it raises at once and clears only past 15 (hysteresis)', () => {
    const soc = rule({ condition: 'below', threshold: 10, clearThreshold: 15 });
    const { standing, transitions } = evaluate(soc, null, [
      [min(0), 20],
      [min(1), 9],
      [min(2), 7],
      [min(3), 12],
      [min(4), 8],
      [min(5), 14.9],
      [min(6), 15],
    ]);
    expect(transitions).toEqual([
      { kind: 'raise', at: min(1), value: 9 },
      { kind: 'seen', at: min(4), peak: 7 },
      { kind: 'clear', at: min(6), value: 15 },
    ]);
    expect(standing).toEqual({ firing: false, pendingSince: null, lastTs: min(6) });
  });

  it('When the condition must hold 5 minutes, then a dip back resets it and it raises 5 minutes after it began again', () => {
    const hot = rule({ condition: 'above', threshold: 90, forSeconds: 300 });
    const { transitions } = evaluate(hot, null, [
      [min(0), 95],
      [min(4), 96],
      [min(5), 80],
      [min(6), 91],
      [min(10), 99],
      [min(11), 93],
    ]);
    expect(transitions).toEqual([{ kind: 'raise', at: min(11), value: 93 }]);
  });

  it('When readings come in two batches, then the standing carries the pending time across', () => {
    const hot = rule({ condition: 'above', threshold: 90, forSeconds: 300 });
    const first = evaluate(hot, null, [[min(0), 95]]);
    expect(first.standing).toEqual({ firing: false, pendingSince: 0, lastTs: 0 });
    expect(evaluate(hot, first.standing, [[min(5), 95]]).transitions).toEqual([
      { kind: 'raise', at: min(5), value: 95 },
    ]);
  });

  it('When a reading is not newer than the last evaluated one, then it changes nothing (late readings)', () => {
    const hot = rule({ condition: 'above', threshold: 90 });
    const { standing } = evaluate(hot, null, [[min(10), 10]]);
    const late = evaluate(hot, standing, [
      [min(5), 99],
      [min(10), 99],
    ]);
    expect(late).toEqual({ standing, transitions: [] });
  });

  it('When the value leaves a band on either side, then it raises, and the peak is the farthest from the band', () => {
    const band = rule({ condition: 'outside', low: 49.8, high: 50.2 });
    const { transitions } = evaluate(band, null, [
      [1, 50],
      [2, 50.3],
      [3, 49.5],
      [4, 50.4],
      [5, 50.1],
    ]);
    expect(transitions).toEqual([
      { kind: 'raise', at: 2, value: 50.3 },
      { kind: 'seen', at: 4, peak: 49.5 },
      { kind: 'clear', at: 5, value: 50.1 },
    ]);
  });

  it('When a band has a clear margin, then an open alarm clears only once the value is that far inside both edges', () => {
    const band = rule({ condition: 'outside', low: 10, high: 20, clearThreshold: 2 });
    const { transitions, standing } = evaluate(band, null, [
      [1, 21],
      [2, 19], // back inside, but within the margin: stays open, not seen
      [3, 8], // outside on the other side: seen
      [4, 11.9],
      [5, 12],
      [6, 19], // inside the band, not raising again
    ]);
    expect(transitions).toEqual([
      { kind: 'raise', at: 1, value: 21 },
      { kind: 'seen', at: 3, peak: 8 },
      { kind: 'clear', at: 5, value: 12 },
    ]);
    expect(standing.firing).toBe(false);
  });
});

describe('ruleProblems', () => {
  it("When a rule lacks its numbers or mixes another condition's, then each field is named", () => {
    expect(ruleProblems(rule({ condition: 'above' }))).toEqual([
      { field: 'threshold', message: 'Required for "above"' },
    ]);
    expect(ruleProblems(rule({ condition: 'above', threshold: 10, clearThreshold: 12 }))).toEqual([
      { field: 'clearThreshold', message: 'Must be at most the threshold (it clears below it)' },
    ]);
    expect(ruleProblems(rule({ condition: 'outside', low: 5, high: 5 }))).toEqual([
      { field: 'high', message: 'Must be greater than low' },
    ]);
    expect(ruleProblems(rule({ condition: 'outside', low: 10, high: 20, clearThreshold: 5 }))).toEqual([
      { field: 'clearThreshold', message: 'Must be less than half the band (high − low)' },
    ]);
    expect(ruleProblems(rule({ condition: 'outside', low: 10, high: 20, clearThreshold: -1 }))).toEqual([
      { field: 'clearThreshold', message: 'Must be 0 or more (a margin inside the band)' },
    ]);
    expect(ruleProblems(rule({ condition: 'no_data', noDataMinutes: 5, threshold: 1 }))).toEqual([
      { field: 'threshold', message: 'Not used by "no_data"; leave it out' },
    ]);
  });
});
