import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS, DEVICE_TYPES } from '../../src/domain/device-types.js';
import { SOC_MAX, SOC_MIN, createDeviceModel } from '../../src/simulator/index.js';
import { BERLIN, DAY, SEVILLA } from './helpers.js';

const arbitraryRun = fc.record({
  type: fc.constantFrom(...DEVICE_TYPES),
  seed: fc.integer(),
  site: fc.constantFrom(SEVILLA, BERLIN, { latitude: -33.87, longitude: 151.21, timezone: 'Australia/Sydney' }),
  ratedKw: fc.double({ min: 0.5, max: 5000, noNaN: true }),
  start: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
  // Gaps from "same instant" through live 10 s ticks to a 3-day outage; the odd negative one too.
  gapsMs: fc.array(
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: -60_000, max: 3 * DAY })),
    { minLength: 1, maxLength: 300 },
  ),
});

describe('simulator properties', () => {
  it('When any device is stepped with any sequence of gaps, then no counter ever decreases and all values are finite', () => {
    fc.assert(
      fc.property(arbitraryRun, ({ type, seed, site, ratedKw, start, gapsMs }) => {
        const model = createDeviceModel({ type, seed, site, ratedKw });
        const counters = DEFAULT_METRICS[type].filter((m) => m.kind === 'counter').map((m) => m.key);
        let ts = start;
        let prev: Record<string, number> = model.step(ts);
        for (const gap of gapsMs) {
          ts += gap;
          const next: Record<string, number> = model.step(ts);
          for (const v of Object.values(next)) expect(Number.isFinite(v)).toBe(true);
          for (const key of counters) expect(next[key]).toBeGreaterThanOrEqual(prev[key]);
          prev = next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('When a battery is stepped with any sequence of gaps, then SoC stays within 5–100 % and |power| ≤ rated', () => {
    fc.assert(
      fc.property(arbitraryRun, ({ seed, site, ratedKw, start, gapsMs }) => {
        const model = createDeviceModel({ type: 'battery', seed, site, ratedKw });
        let ts = start;
        for (const gap of [0, ...gapsMs]) {
          ts += gap;
          const r = model.step(ts);
          expect(r.soc).toBeGreaterThanOrEqual(SOC_MIN);
          expect(r.soc).toBeLessThanOrEqual(SOC_MAX);
          expect(Math.abs(r.power)).toBeLessThanOrEqual(Math.round(ratedKw * 1000) / 1000);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('When PV or an inverter is stepped with any gaps, then power stays within 0..rated', () => {
    fc.assert(
      fc.property(arbitraryRun, fc.constantFrom('pv_array', 'inverter' as const), (run, type) => {
        const model = createDeviceModel({ type, seed: run.seed, site: run.site, ratedKw: run.ratedKw });
        let ts = run.start;
        for (const gap of [0, ...run.gapsMs]) {
          ts += gap;
          const { power } = model.step(ts);
          expect(power).toBeGreaterThanOrEqual(0);
          expect(power).toBeLessThanOrEqual(Math.round(run.ratedKw * 1000) / 1000);
        }
      }),
      { numRuns: 200 },
    );
  });
});
