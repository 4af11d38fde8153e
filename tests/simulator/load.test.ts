import { describe, expect, it } from 'vitest';
import { createDeviceModel, localTime } from '../../src/simulator/index.js';
import { BERLIN, DAY, MINUTE, SEVILLA, run } from './helpers.js';

const START = Date.UTC(2025, 2, 1); // spans the March DST change on purpose

describe('meter', () => {
  it('When 30 days pass, then import and export counters never decrease and follow the sign of power', () => {
    for (const site of [SEVILLA, BERLIN]) {
      const model = createDeviceModel({ type: 'meter', seed: 'main-meter', site, ratedKw: 80 });
      let last = { import_energy: 0, export_energy: 0, power: 0 };
      let decreases = 0;
      let wrongCounter = 0;
      run(model, START, START + 30 * DAY, MINUTE, (r) => {
        if (r.import_energy < last.import_energy || r.export_energy < last.export_energy) decreases++;
        // Importing must not grow the export counter, and vice versa.
        if (r.power > 0 && r.export_energy > last.export_energy) wrongCounter++;
        if (r.power < 0 && r.import_energy > last.import_energy) wrongCounter++;
        last = r;
      });
      expect(decreases).toBe(0);
      expect(wrongCounter).toBe(0);
      expect(last.import_energy).toBeGreaterThan(0);
    }
  });

  it('When it is a weekday in office hours, then the load is higher on average than at the same hours on weekends', () => {
    const model = createDeviceModel({ type: 'meter', seed: 2, site: BERLIN, ratedKw: 80 });
    const weekday = { sum: 0, n: 0 };
    const weekend = { sum: 0, n: 0 };
    run(model, START, START + 28 * DAY, MINUTE, (r, ts) => {
      const { hour, isWeekend } = localTime(ts, BERLIN.timezone);
      if (hour < 8 || hour >= 18) return;
      const bucket = isWeekend ? weekend : weekday;
      bucket.sum += r.power;
      bucket.n++;
    });
    expect(weekday.sum / weekday.n).toBeGreaterThan(weekend.sum / weekend.n + 20);
  });
});

describe('heat pump', () => {
  it('When it is winter in Berlin, then it draws more power with hotter flow than in summer, within 30–55 °C', () => {
    const model = createDeviceModel({ type: 'heat_pump', seed: 3, site: BERLIN, ratedKw: 12 });
    const january = { power: 0, n: 0 };
    const july = { power: 0, n: 0 };
    let minFlow = Infinity;
    let maxFlow = -Infinity;
    let maxPower = 0;
    run(model, Date.UTC(2025, 0, 1), Date.UTC(2026, 0, 1), 10 * MINUTE, (r, ts) => {
      const month = new Date(ts).getUTCMonth();
      const bucket = month === 0 ? january : month === 6 ? july : undefined;
      if (bucket) {
        bucket.power += r.power;
        bucket.n++;
      }
      minFlow = Math.min(minFlow, r.temperature);
      maxFlow = Math.max(maxFlow, r.temperature);
      maxPower = Math.max(maxPower, r.power);
    });
    expect(january.power / january.n).toBeGreaterThan(2 * (july.power / july.n));
    expect(minFlow).toBeGreaterThanOrEqual(30);
    expect(maxFlow).toBeLessThanOrEqual(55);
    expect(maxFlow).toBeGreaterThan(45);
    expect(maxPower).toBeLessThanOrEqual(12);
  });
});

describe('other', () => {
  it('When it runs for a day, then the value wanders smoothly around half its scale', () => {
    const model = createDeviceModel({ type: 'other', seed: 1, site: SEVILLA, ratedKw: 100 });
    const values: number[] = [];
    run(model, START, START + DAY, MINUTE, (r) => values.push(r.value));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const biggestJump = Math.max(...values.slice(1).map((v, i) => Math.abs(v - values[i])));
    expect(mean).toBeGreaterThan(30);
    expect(mean).toBeLessThan(70);
    expect(biggestJump).toBeLessThan(10);
  });
});
