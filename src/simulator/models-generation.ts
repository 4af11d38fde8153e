// Generators: PV arrays, their inverters, wind turbines and a backup genset.

import { clamp, createClock, round3 } from './common.js';
import type { ModelContext } from './common.js';
import type { Stepper } from './metrics.js';
import { createOrnsteinUhlenbeck, hashSeed, mulberry32 } from './random.js';
import { clearSkyFactor, solarElevation } from './sun.js';
import { createClouds, createWind } from './weather.js';

/** kW of DC available from the sun for `dcKw` of panels: exactly 0 while the sun is down. */
function createSolarSource(ctx: ModelContext, dcKw: number): (ts: number, dtS: number) => number {
  const clouds = createClouds(ctx.site, ctx.weatherSeed);
  // Soiling, wiring and temperature losses differ per array (performance ratio 0.78–0.90).
  const performanceRatio = 0.78 + 0.12 * ctx.rng();
  const { latitude, longitude } = ctx.site;
  return (ts, dtS) => {
    const transmittance = clouds(dtS); // stepped at night too, so clouds keep drifting
    const sun = clearSkyFactor(solarElevation(latitude, longitude, ts));
    return sun === 0 ? 0 : dcKw * sun * transmittance * performanceRatio;
  };
}

export function createPvModel(ctx: ModelContext): Stepper<'pv_array'> {
  const clock = createClock();
  const solar = createSolarSource(ctx, ctx.ratedKw);
  let energy = 0;
  return (ts) => {
    const dtS = clock(ts);
    // The sample stands for the interval ending at ts, like a meter's interval average.
    const power = Math.min(ctx.ratedKw, solar(ts, dtS));
    energy += (power * dtS) / 3600;
    return { power: round3(power), energy: round3(energy) };
  };
}

/** The DC power (kW) reaching an inverter at `ts` from the arrays it converts. */
export type DcFeed = (ts: number, dtS: number) => number;

/**
 * An inverter converting 97 % of its DC input, clipped at its AC rating as real ones are on bright
 * middays. Fed by `dc` (its share of the site's PV arrays, so the two never disagree), or, alone,
 * by 1.2× its AC rating of panels of its own.
 */
export function createInverterModel(ctx: ModelContext, dc?: DcFeed): Stepper<'inverter'> {
  const clock = createClock();
  const solar = dc ?? createSolarSource(ctx, ctx.ratedKw * 1.2);
  let energy = 0;
  return (ts) => {
    const dtS = clock(ts);
    const power = Math.min(ctx.ratedKw, solar(ts, dtS) * 0.97);
    energy += (power * dtS) / 3600;
    return { power: round3(power), energy: round3(energy) };
  };
}

export const WIND_CUT_IN_MS = 3;
export const WIND_RATED_MS = 12;
export const WIND_CUT_OUT_MS = 25;

/**
 * Turbine output for a wind speed: nothing below cut-in, a cubic rise (power in the
 * wind ∝ v³) to rated at 12 m/s, rated up to cut-out, then feathered to 0 for safety.
 */
export function windPowerCurve(speedMs: number, ratedKw: number): number {
  if (!(speedMs >= WIND_CUT_IN_MS) || speedMs > WIND_CUT_OUT_MS) return 0;
  if (speedMs >= WIND_RATED_MS) return ratedKw;
  const cube = (v: number) => v * v * v;
  return (ratedKw * (cube(speedMs) - cube(WIND_CUT_IN_MS))) / (cube(WIND_RATED_MS) - cube(WIND_CUT_IN_MS));
}

/** A turbine trips (a grid fault, a pitch or converter alarm) about once in two days of producing. */
const TRIPS_PER_S = 1 / (2 * 86_400);

/**
 * Wind through the power curve; now and then, while producing, it trips and stands still for
 * 40 minutes to 2 hours (power 0 in good wind: what the demo's turbine alarm rule watches for).
 */
export function createWindModel(ctx: ModelContext): Stepper<'wind_turbine'> {
  const clock = createClock();
  const wind = createWind(ctx.weatherSeed, hashSeed(ctx.rng(), 'gusts'));
  // Its own stream, so the wind and the other devices' randomness stay what they were.
  const trips = mulberry32(hashSeed(ctx.rng(), 'trips'));
  let trippedS = 0;
  return (ts) => {
    const dtS = clock(ts);
    const speed = wind(dtS);
    let power = windPowerCurve(speed, ctx.ratedKw);
    if (trippedS > 0) trippedS -= dtS;
    else if (power > 0 && dtS > 0 && trips() < 1 - Math.exp(-TRIPS_PER_S * dtS)) trippedS = 2400 + 4800 * trips();
    if (trippedS > 0) power = 0;
    return { wind_speed: round3(speed), power: round3(power) };
  };
}

const GENERATOR_STARTS_PER_S = 1 / (2.5 * 86_400); // a run every ~2.5 days (tests, outages)
const FULL_LOAD_TANK_H = 12;

/** Mostly off; runs 30 min–3 h at part load, burning fuel; refilled below 10 %. */
export function createGeneratorModel(ctx: ModelContext): Stepper<'generator'> {
  const { rng, ratedKw } = ctx;
  const clock = createClock();
  const jitter = createOrnsteinUhlenbeck({ rng, mean: 0, stdDev: 0.03, timeConstantS: 120 });
  let fuel = 40 + 60 * rng();
  let remainingS = 0;
  let load = 0;
  return (ts) => {
    const dtS = clock(ts);
    const noise = jitter.step(dtS);
    if (remainingS > 0) remainingS -= dtS;
    else if (dtS > 0 && rng() < 1 - Math.exp(-GENERATOR_STARTS_PER_S * dtS)) {
      remainingS = 1800 + 9000 * rng();
      load = 0.5 + 0.4 * rng();
    }
    const running = remainingS > 0;
    const fraction = running ? clamp(load + noise, 0.3, 1) : 0;
    fuel -= (100 * fraction * dtS) / (FULL_LOAD_TANK_H * 3600);
    if (fuel < 10) fuel = 100; // the tanker came; a dry tank is not an interesting demo
    return { power: round3(ratedKw * fraction), fuel_level: round3(fuel) };
  };
}
