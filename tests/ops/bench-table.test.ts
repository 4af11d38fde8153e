// The bench's table must never print a missed goal as the goal itself ("0.50×  FAIL").
import { describe, expect, it } from 'vitest';
import { ratioText } from '../../bench/figures.js';

describe('bench ratio text', () => {
  it('When two decimals would round a ratio onto its goal, then it gets a third; otherwise two', () => {
    expect(ratioText(0.4972, 0.5)).toBe('0.497');
    expect(ratioText(0.5012, 0.5)).toBe('0.501');
    expect(ratioText(2.004, 2)).toBe('2.004');
    expect(ratioText(0.5, 0.5)).toBe('0.50');
    expect(ratioText(0.2345, 0.8)).toBe('0.23');
    expect(ratioText(1.69, 2)).toBe('1.69');
  });
});
