import { describe, expect, it } from 'vitest';
import { clearSkyFactor, solarElevation } from '../../src/simulator/index.js';
import { SEVILLA } from './helpers.js';

const { latitude, longitude } = SEVILLA;

describe('solarElevation', () => {
  it('When it is solar noon in Sevilla at the June solstice, then the sun is 90 − 37.39 + 23.44 ≈ 76° high', () => {
    // Solar noon in Sevilla is ~12:22 UTC (longitude −5.98° → +24 min, equation of time ≈ −2 min).
    let best = -90;
    for (let m = 11 * 60; m < 14 * 60; m++) {
      best = Math.max(best, solarElevation(latitude, longitude, Date.UTC(2025, 5, 21, 0, m)));
    }
    expect(best).toBeGreaterThan(75.5);
    expect(best).toBeLessThan(76.6);
  });

  it('When it is solar noon at the March equinox, then the elevation is about 90° − latitude', () => {
    const noon = solarElevation(latitude, longitude, Date.UTC(2025, 2, 20, 12, 30));
    expect(noon).toBeGreaterThan(51.5);
    expect(noon).toBeLessThan(53.5);
  });

  it('When it is local midnight in Sevilla, then the sun is below the horizon', () => {
    expect(solarElevation(latitude, longitude, Date.UTC(2025, 5, 21, 22, 0))).toBeLessThan(-20);
  });

  it('When it is the December solstice at the South Pole, then the sun is up all day', () => {
    for (let h = 0; h < 24; h++) expect(solarElevation(-90, 0, Date.UTC(2025, 11, 21, h))).toBeGreaterThan(20);
  });
});

describe('clearSkyFactor', () => {
  it('When the sun is at or below the horizon, then the factor is exactly 0', () => {
    expect(clearSkyFactor(0)).toBe(0);
    expect(clearSkyFactor(-10)).toBe(0);
  });

  it('When the sun rises higher, then the factor grows, reaching 1 at the zenith', () => {
    let prev = 0;
    for (let e = 1; e <= 90; e++) {
      const f = clearSkyFactor(e);
      expect(f).toBeGreaterThan(prev);
      expect(f).toBeLessThanOrEqual(1);
      prev = f;
    }
    expect(clearSkyFactor(90)).toBeCloseTo(1, 6);
  });
});
