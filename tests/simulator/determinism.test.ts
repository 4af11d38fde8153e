import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS, DEFAULT_RATED_KW, DEVICE_TYPES } from '../../src/domain/device-types.js';
import { createDeviceModel } from '../../src/simulator/index.js';
import type { DeviceType } from '../../src/domain/device-types.js';
import { BERLIN, DAY, MINUTE, SEVILLA, run } from './helpers.js';

const START = Date.UTC(2025, 3, 10);

function trace(type: DeviceType, seed: number | string, other?: () => void): Record<string, number>[] {
  const model = createDeviceModel({ type, seed, site: SEVILLA, ratedKw: DEFAULT_RATED_KW[type] });
  const out: Record<string, number>[] = [];
  run(model, START, START + 2 * DAY, MINUTE, (r) => {
    out.push(r);
    other?.();
  });
  return out;
}

describe('createDeviceModel', () => {
  it.each(DEVICE_TYPES)('When a %s is built twice with the same seed, then it gives identical output', (type) => {
    expect(trace(type, 'device-42')).toEqual(trace(type, 'device-42'));
  });

  it.each(DEVICE_TYPES)('When a %s is built with another seed, then its output differs', (type) => {
    expect(trace(type, 1)).not.toEqual(trace(type, 2));
  });

  it('When other devices in other zones are stepped in between, then the output is unchanged (caches are pure)', () => {
    const noisy = createDeviceModel({ type: 'meter', seed: 9, site: BERLIN, ratedKw: 80 });
    let t = START - 40 * DAY;
    const interleaved = trace('meter', 7, () => {
      noisy.step((t += 7 * MINUTE));
    });
    expect(interleaved).toEqual(trace('meter', 7));
  });

  it.each(DEVICE_TYPES)('When a %s is stepped, then it reports exactly its default metric keys, all finite', (type) => {
    const model = createDeviceModel({ type, seed: 1, site: SEVILLA, ratedKw: DEFAULT_RATED_KW[type] });
    const expected = DEFAULT_METRICS[type].map((m) => m.key).sort();
    expect([...model.metricKeys].sort()).toEqual(expected);
    for (const ts of [START, START + MINUTE, START + DAY]) {
      const readings: Record<string, number> = model.step(ts);
      expect(Object.keys(readings).sort()).toEqual(expected);
      for (const v of Object.values(readings)) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('When the options are nonsense, then it refuses up front', () => {
    const ok = { type: 'pv_array', seed: 1, site: SEVILLA, ratedKw: 5 } as const;
    expect(() => createDeviceModel({ ...ok, ratedKw: 0 })).toThrow(RangeError);
    expect(() => createDeviceModel({ ...ok, ratedKw: Number.NaN })).toThrow(RangeError);
    expect(() => createDeviceModel({ ...ok, site: { ...SEVILLA, latitude: 91 } })).toThrow(RangeError);
    expect(() => createDeviceModel({ ...ok, site: { ...SEVILLA, timezone: 'Mars/Olympus_Mons' } })).toThrow(RangeError);
  });

  it('When time goes backwards or repeats, then nothing advances and counters hold', () => {
    const model = createDeviceModel({ type: 'pv_array', seed: 1, site: SEVILLA, ratedKw: 10 });
    const noon = Date.UTC(2025, 5, 18, 10);
    model.step(noon);
    const later = model.step(noon + 3_600_000);
    expect(later.energy).toBeGreaterThan(0);
    expect(model.step(noon).energy).toBe(later.energy);
    expect(() => model.step(Number.NaN)).toThrow(RangeError);
  });
});
