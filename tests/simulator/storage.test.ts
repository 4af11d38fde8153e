import { describe, expect, it } from 'vitest';
import { BATTERY_HOURS, createDeviceModel, localTime } from '../../src/simulator/index.js';
import { BERLIN, DAY, MINUTE, SEVILLA, run } from './helpers.js';

const START = Date.UTC(2025, 5, 1);

describe('battery', () => {
  it('When it runs for 30 days at 60 s steps, then SoC never leaves 5–100 %', () => {
    for (const [seed, site] of [
      [1, SEVILLA],
      [2, BERLIN],
      [3, SEVILLA],
    ] as const) {
      const model = createDeviceModel({ type: 'battery', seed, site, ratedKw: 50 });
      let min = Infinity;
      let max = -Infinity;
      run(model, START, START + 30 * DAY, MINUTE, (r) => {
        min = Math.min(min, r.soc);
        max = Math.max(max, r.soc);
      });
      expect(min).toBeGreaterThanOrEqual(5);
      expect(max).toBeLessThanOrEqual(100);
      expect(max - min).toBeGreaterThan(30); // it actually cycles
    }
  });

  it('When power is shown, then SoC moves by exactly that power over the 2 h capacity', () => {
    const ratedKw = 50;
    const model = createDeviceModel({ type: 'battery', seed: 4, site: SEVILLA, ratedKw });
    let prevSoc = Number.NaN;
    let worst = 0;
    run(model, START, START + 5 * DAY, MINUTE, (r) => {
      if (!Number.isNaN(prevSoc)) {
        const expected = prevSoc - ((r.power * 60) / 3600 / (ratedKw * BATTERY_HOURS)) * 100;
        worst = Math.max(worst, Math.abs(r.soc - expected));
      }
      prevSoc = r.soc;
    });
    expect(worst).toBeLessThan(0.002); // rounding to 3 decimals only
  });

  it('When it is midday, then it charges from PV on average; in the evening peak it discharges', () => {
    const model = createDeviceModel({ type: 'battery', seed: 5, site: SEVILLA, ratedKw: 50 });
    let midday = 0;
    let evening = 0;
    run(model, START, START + 14 * DAY, MINUTE, (r, ts) => {
      const { hour } = localTime(ts, SEVILLA.timezone);
      if (hour >= 10 && hour < 13) midday += r.power;
      if (hour >= 17 && hour < 21) evening += r.power;
    });
    expect(midday).toBeLessThan(0);
    expect(evening).toBeGreaterThan(0);
  });
});

describe('EV charger', () => {
  it('When a month passes, then cars come and go, power stays within 0..rated and energy never decreases', () => {
    const model = createDeviceModel({ type: 'ev_charger', seed: 6, site: BERLIN, ratedKw: 11 });
    let minPower = Infinity;
    let maxPower = -Infinity;
    let minDelta = Infinity;
    let lastEnergy = 0;
    let sessions = 0;
    let wasCharging = false;
    run(model, START, START + 30 * DAY, MINUTE, (r) => {
      minPower = Math.min(minPower, r.power);
      maxPower = Math.max(maxPower, r.power);
      minDelta = Math.min(minDelta, r.energy - lastEnergy);
      if (r.power > 0 && !wasCharging) sessions++;
      wasCharging = r.power > 0;
      lastEnergy = r.energy;
    });
    expect(minPower).toBe(0);
    expect(maxPower).toBeLessThanOrEqual(11);
    expect(minDelta).toBeGreaterThanOrEqual(0);
    expect(sessions).toBeGreaterThan(30);
    expect(sessions).toBeLessThan(30 * 24);
  });
});
