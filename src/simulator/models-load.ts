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

/** What the rest of a site does during one step, in kW: the grid meter sees what is left over. */
export interface SiteFlows {
  /** AC generation: inverters (or PV arrays without one), turbines, gensets. */
  productionKw: number;
  /** Battery power, positive while discharging (the device-type sign). */
  storageKw: number;
  /** Loads measured by their own devices: EV chargers, heat pumps. */
  loadKw: number;
}

/** The site a meter measures: its generation nameplate, and its flows at the step being taken. */
export interface MeteredSite {
  generationKw: number;
  flows(): SiteFlows;
}

/** Station service of a power plant (trackers, cooling, SCADA, lighting) as a share of its nameplate. */
export const PLANT_AUXILIARY_SHARE = 0.01;

/**
 * Grid meter. Power is what crosses the connection, positive when importing:
 * power = on-site load − production − battery discharge, and the counters integrate its
 * positive (import) and negative (export) parts. On-site load is a plant's auxiliaries when the
 * site's generation is at least half the meter's rating (a farm or a park), otherwise an
 * office's base load plus office hours, plus the loads that have devices of their own. A meter on
 * its own (no `site`) stands for an office with a small rooftop PV (35 % of its rating), so
 * sunny weekends export and the export counter is not a flat line.
 */
export function createMeterModel(ctx: ModelContext, site?: MeteredSite): Stepper<'meter'> {
  const { rng, ratedKw } = ctx;
  const where = ctx.site;
  const clock = createClock();
  const clouds = createClouds(where, ctx.weatherSeed);
  const jitter = createOrnsteinUhlenbeck({ rng, mean: 0, stdDev: 0.06, timeConstantS: 600 });
  const plant = site !== undefined && site.generationKw >= 0.5 * ratedKw;
  let imported = 0;
  let exported = 0;
  return (ts) => {
    const dtS = clock(ts);
    const { hour, isWeekend } = localTime(ts, where.timezone);
    const n = jitter.step(dtS);
    const sky = clouds(dtS); // stepped in every mode, so a meter's randomness does not depend on its site
    const base = plant
      ? PLANT_AUXILIARY_SHARE * site.generationKw * (1 + n)
      : ratedKw * (0.2 + 0.6 * officeOccupancy(hour, isWeekend)) * (1 + n);
    let power: number;
    if (site) {
      const f = site.flows();
      power = Math.max(0, base) + f.loadKw - f.productionKw - f.storageKw;
    } else {
      const pv = 0.35 * ratedKw * clearSkyFactor(solarElevation(where.latitude, where.longitude, ts)) * sky;
      power = Math.max(0, base) - pv;
    }
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
