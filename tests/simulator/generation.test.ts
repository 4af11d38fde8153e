import { describe, expect, it } from 'vitest';
import { createDeviceModel, windPowerCurve } from '../../src/simulator/index.js';
import { DAY, HOUR, MINUTE, SEVILLA, run } from './helpers.js';

// 2025-06-18 is a Wednesday; Madrid is UTC+2 in June.
const JUNE_18_LOCAL_MIDNIGHT = Date.UTC(2025, 5, 17, 22);

describe('PV array', () => {
  const pv = () => createDeviceModel({ type: 'pv_array', seed: 'pv-1', site: SEVILLA, ratedKw: 40 });

  it('When the sun is down in Sevilla, then PV power is exactly 0', () => {
    const model = pv();
    run(model, JUNE_18_LOCAL_MIDNIGHT - HOUR, JUNE_18_LOCAL_MIDNIGHT + HOUR, MINUTE, (r, ts) => {
      if (ts === JUNE_18_LOCAL_MIDNIGHT) expect(r.power).toBe(0);
    });
    // Whole night, not just the instant: 23:00–05:00 local.
    const night: number[] = [];
    run(pv(), JUNE_18_LOCAL_MIDNIGHT - HOUR, JUNE_18_LOCAL_MIDNIGHT + 5 * HOUR, MINUTE, (r) => night.push(r.power));
    expect(new Set(night)).toEqual(new Set([0]));
  });

  it('When it is local noon on a June day in Sevilla, then PV produces a good share of its rating', () => {
    const noon = JUNE_18_LOCAL_MIDNIGHT + 12 * HOUR;
    let atNoon = Number.NaN;
    run(pv(), JUNE_18_LOCAL_MIDNIGHT, noon + MINUTE, MINUTE, (r, ts) => {
      if (ts === noon) atNoon = r.power;
    });
    expect(atNoon).toBeGreaterThan(0);
    // Even under the thickest simulated cloud (transmittance ≥ 0.25) a June noon gives > 10 %.
    expect(atNoon).toBeGreaterThan(4);
  });

  it('When it runs for a month with any seed, then power never exceeds rated and energy never decreases', () => {
    // Aggregate, then assert once: an expect() per step would dominate the run time.
    for (const seed of [1, 2, 3]) {
      const model = createDeviceModel({ type: 'pv_array', seed, site: SEVILLA, ratedKw: 7.5 });
      let minPower = Infinity;
      let maxPower = -Infinity;
      let minEnergyDelta = Infinity;
      let lastEnergy = 0;
      run(model, JUNE_18_LOCAL_MIDNIGHT, JUNE_18_LOCAL_MIDNIGHT + 30 * DAY, MINUTE, (r) => {
        minPower = Math.min(minPower, r.power);
        maxPower = Math.max(maxPower, r.power);
        minEnergyDelta = Math.min(minEnergyDelta, r.energy - lastEnergy);
        lastEnergy = r.energy;
      });
      expect(minPower).toBe(0);
      expect(maxPower).toBeLessThanOrEqual(7.5);
      expect(minEnergyDelta).toBeGreaterThanOrEqual(0);
      // ~30 days × 4–7 equivalent full hours of a 7.5 kW array in a Sevillan June.
      expect(lastEnergy).toBeGreaterThan(30 * 7.5 * 3);
      expect(lastEnergy).toBeLessThan(30 * 7.5 * 9);
    }
  });

  it('When two arrays stand at the same site, then they see the same clouds (their power moves together)', () => {
    const a = createDeviceModel({ type: 'pv_array', seed: 'a', site: SEVILLA, ratedKw: 10 });
    const b = createDeviceModel({ type: 'pv_array', seed: 'b', site: SEVILLA, ratedKw: 10 });
    let minRatio = Infinity;
    run(a, JUNE_18_LOCAL_MIDNIGHT, JUNE_18_LOCAL_MIDNIGHT + 2 * DAY, MINUTE, (ra, ts) => {
      const rb = b.step(ts);
      if (ra.power > 1) minRatio = Math.min(minRatio, rb.power / ra.power);
    });
    expect(minRatio).toBeGreaterThan(0.8); // only their derates (0.78–0.90) differ
  });
});

describe('inverter', () => {
  it('When PV is oversized at midday, then the inverter clips at its rating', () => {
    let max = 0;
    const model = createDeviceModel({ type: 'inverter', seed: 1, site: SEVILLA, ratedKw: 20 });
    run(model, JUNE_18_LOCAL_MIDNIGHT, JUNE_18_LOCAL_MIDNIGHT + 10 * DAY, MINUTE, (r) => {
      max = Math.max(max, r.power);
    });
    expect(max).toBe(20);
  });
});

describe('windPowerCurve', () => {
  it('When the wind is below 3 m/s, then the turbine produces nothing', () => {
    for (const v of [0, 1, 2.5, 2.999]) expect(windPowerCurve(v, 100)).toBe(0);
  });

  it('When the wind is above the 25 m/s cut-out, then the turbine produces nothing', () => {
    for (const v of [25.001, 30, 60]) expect(windPowerCurve(v, 100)).toBe(0);
  });

  it('When the wind is between 12 and 25 m/s, then the turbine produces exactly its rating', () => {
    for (const v of [12, 15, 20, 25]) expect(windPowerCurve(v, 100)).toBe(100);
  });

  it('When the wind rises from 3 to 12 m/s, then power rises monotonically along a cubic', () => {
    let prev = -1;
    for (let v = 3; v <= 12; v += 0.25) {
      const p = windPowerCurve(v, 100);
      expect(p).toBeGreaterThan(prev);
      prev = p;
    }
    expect(windPowerCurve(7.5, 100)).toBeCloseTo((100 * (7.5 ** 3 - 27)) / (1728 - 27), 9);
  });
});

describe('wind turbine', () => {
  it('When the wind wanders for a month, then speed stays non-negative around ~7 m/s and power follows the curve but while tripped (0, now and then)', () => {
    const model = createDeviceModel({ type: 'wind_turbine', seed: 5, site: SEVILLA, ratedKw: 100 });
    let minSpeed = Infinity;
    let sum = 0;
    let n = 0;
    let powerOffCurve = 0;
    let tripped = 0;
    run(model, JUNE_18_LOCAL_MIDNIGHT, JUNE_18_LOCAL_MIDNIGHT + 30 * DAY, MINUTE, (r) => {
      minSpeed = Math.min(minSpeed, r.wind_speed);
      // Speed is rounded to 3 decimals, so compare against the curve with a little slack.
      if (Math.abs(r.power - windPowerCurve(r.wind_speed, 100)) > 0.1) {
        if (r.power === 0) tripped++;
        else powerOffCurve++;
      }
      sum += r.wind_speed;
      n++;
    });
    expect(minSpeed).toBeGreaterThanOrEqual(0);
    expect(powerOffCurve).toBe(0);
    // About one trip in two days of producing, 40 minutes to 2 hours each: a few percent of the month.
    expect(tripped).toBeGreaterThan(0);
    expect(tripped / n).toBeLessThan(0.1);
    expect(sum / n).toBeGreaterThan(4);
    expect(sum / n).toBeLessThan(10);
  });
});

describe('generator', () => {
  it('When a month passes, then it runs now and then, burns fuel only while running, and is refilled below 10 %', () => {
    const model = createDeviceModel({ type: 'generator', seed: 9, site: SEVILLA, ratedKw: 60 });
    let lastFuel = Number.NaN;
    let minFuel = Infinity;
    let maxFuel = -Infinity;
    let burnedWhileOff = 0;
    let minutesRunning = 0;
    run(model, JUNE_18_LOCAL_MIDNIGHT, JUNE_18_LOCAL_MIDNIGHT + 30 * DAY, MINUTE, (r) => {
      minFuel = Math.min(minFuel, r.fuel_level);
      maxFuel = Math.max(maxFuel, r.fuel_level);
      if (r.fuel_level < lastFuel && r.power === 0) burnedWhileOff++;
      if (r.power > 0) minutesRunning++;
      lastFuel = r.fuel_level;
    });
    expect(minFuel).toBeGreaterThanOrEqual(10);
    expect(maxFuel).toBeLessThanOrEqual(100);
    expect(burnedWhileOff).toBe(0);
    expect(minutesRunning).toBeGreaterThan(30);
    expect(minutesRunning).toBeLessThan(0.3 * 30 * 24 * 60); // "mostly off"
  });
});
