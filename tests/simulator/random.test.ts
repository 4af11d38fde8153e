import { describe, expect, it } from 'vitest';
import { createOrnsteinUhlenbeck, hashSeed, mulberry32 } from '../../src/simulator/index.js';

describe('mulberry32', () => {
  it('When two generators share a seed, then they produce the same numbers in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('When seeds differ, then the streams differ', () => {
    expect(mulberry32(1)()).not.toBe(mulberry32(2)());
  });
});

describe('hashSeed', () => {
  it('When the parts differ, then the seeds differ, and equal parts give equal seeds', () => {
    expect(hashSeed('site', 1, 'clouds')).toBe(hashSeed('site', 1, 'clouds'));
    expect(hashSeed('site', 1, 'clouds')).not.toBe(hashSeed('site', 1, 'wind'));
    expect(hashSeed('ab', 'c')).not.toBe(hashSeed('a', 'bc'));
  });
});

describe('createOrnsteinUhlenbeck', () => {
  it('When stepped for a long time, then it hovers around its mean with roughly its standard deviation', () => {
    const ou = createOrnsteinUhlenbeck({ rng: mulberry32(7), mean: 10, stdDev: 2, timeConstantS: 60 });
    const samples: number[] = [];
    for (let i = 0; i < 50_000; i++) samples.push(ou.step(30));
    const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
    const sd = Math.sqrt(samples.reduce((s, x) => s + (x - mean) ** 2, 0) / samples.length);
    expect(mean).toBeCloseTo(10, 0);
    expect(sd).toBeGreaterThan(1.8);
    expect(sd).toBeLessThan(2.2);
  });

  it('When no time passes, then the value does not move', () => {
    const ou = createOrnsteinUhlenbeck({ rng: mulberry32(7), mean: 0, stdDev: 1, timeConstantS: 60 });
    const before = ou.value;
    expect(ou.step(0)).toBe(before);
  });

  it('When steps are short compared to the time constant, then consecutive values are close (smooth)', () => {
    const ou = createOrnsteinUhlenbeck({ rng: mulberry32(3), mean: 0, stdDev: 1, timeConstantS: 3600 });
    let prev = ou.value;
    for (let i = 0; i < 1000; i++) {
      const x = ou.step(10);
      expect(Math.abs(x - prev)).toBeLessThan(0.5);
      prev = x;
    }
  });
});
