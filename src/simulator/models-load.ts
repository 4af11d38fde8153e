// Consumers: the site's grid meter (building load), heat pumps and generic sensors.

import { clamp, createClock, round3, smoothstep } from './common.js';
import type { ModelContext } from './common.js';
import { localTime } from './local-time.js';
import type { Stepper } from './metrics.js';
import { createOrnsteinUhlenbeck } from './random.js';
import { clearSkyFactor, solarElevation } from './sun.js';
import { createClouds, createOutdoorTemperature } from './weather.js';
import { HOUR_MS } from '../time.js';

/** 0..1 office occupancy: ramps up 07–08, down 18–19 local, on weekdays only. */
export function officeOccupancy(hour: number, isWeekend: boolean): number {
  if (isWeekend) return 0.1; // security, servers, the odd person catching up
  return smoothstep(7, 8, hour) * (1 - smoothstep(18, 19, hour));
}

/**
 * Grid meter of an office: base load plus office hours, with jitter, minus a small
 * rooftop PV (35 % of the meter's rating) so sunny weekends export and the export
 * counter is not a flat line. Counters integrate the positive/negative parts.
 */
export function createMeterModel(ctx: ModelContext): Stepper<'meter'> {
  const { rng, ratedKw, site } = ctx;
  const clock = createClock();
  const clouds = createClouds(site, ctx.weatherSeed);
  const jitter = createOrnsteinUhlenbeck({ rng, mean: 0, stdDev: 0.06, timeConstantS: 600 });
  let imported = 0;
  let exported = 0;
  return (ts) => {
    const dtS = clock(ts);
    const { hour, isWeekend } = localTime(ts, site.timezone);
    const load = ratedKw * (0.2 + 0.6 * officeOccupancy(hour, isWeekend)) * (1 + jitter.step(dtS));
    const pv = 0.35 * ratedKw * clearSkyFactor(solarElevation(site.latitude, site.longitude, ts)) * clouds(dtS);
    const power = Math.max(0, load) - pv;
    if (power > 0) imported += (power * dtS) / 3600;
    else exported += (-power * dtS) / 3600;
    return { import_energy: round3(imported), export_energy: round3(exported), power: round3(power) };
  };
}

/**
 * Air-to-water heat pump on a weather-compensation curve: full power at −10 °C
 * outdoors, a standby/hot-water floor of 8 % above 16 °C; flow temperature from
 * 30 °C (mild) to 55 °C (freezing). https://en.wikipedia.org/wiki/Heating_curve
 */
export function createHeatPumpModel(ctx: ModelContext): Stepper<'heat_pump'> {
  const { rng, ratedKw, site } = ctx;
  const clock = createClock();
  const outdoor = createOutdoorTemperature(site, ctx.weatherSeed);
  const jitter = createOrnsteinUhlenbeck({ rng, mean: 0, stdDev: 1, timeConstantS: 180 });
  return (ts) => {
    const dtS = clock(ts);
    const t = outdoor(ts, dtS);
    const n = jitter.step(dtS);
    const demand = clamp((16 - t) / 26, 0, 1);
    const power = ratedKw * clamp((0.08 + 0.92 * demand) * (1 + 0.05 * n), 0, 1);
    const flow = clamp(30 + 25 * clamp((20 - t) / 30, 0, 1) + 0.5 * n, 30, 55);
    return { power: round3(power), temperature: round3(flow) };
  };
}

/** A generic sensor: a slow 6-hour sine around half the scale, plus smooth noise. */
export function createOtherModel(ctx: ModelContext): Stepper<'other'> {
  const { rng, ratedKw } = ctx;
  const clock = createClock();
  const phase = 2 * Math.PI * rng();
  const noise = createOrnsteinUhlenbeck({ rng, mean: 0, stdDev: 0.03, timeConstantS: 900 });
  return (ts) => {
    const n = noise.step(clock(ts));
    const sine = Math.sin((2 * Math.PI * ts) / (6 * HOUR_MS) + phase);
    return { value: round3(ratedKw * (0.5 + 0.3 * sine + n)) };
  };
}
