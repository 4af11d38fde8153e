// Things that store or move energy on a schedule: the site battery and EV chargers.

import { clamp, createClock, round3 } from './common.js';
import type { ModelContext } from './common.js';
import { localTime } from './local-time.js';
import type { Stepper } from './metrics.js';
import { createOrnsteinUhlenbeck } from './random.js';
import { clearSkyFactor, solarElevation } from './sun.js';
import { createClouds } from './weather.js';

export const BATTERY_HOURS = 2; // capacity = ratedKw × 2 h, a common C/2 commercial battery
export const SOC_MIN = 5;
export const SOC_MAX = 100;

/**
 * Self-consumption schedule: soak up PV surplus mid-day, cover the evening peak
 * (17–21 local), otherwise idle with a little standby drift. Above 90 % charging
 * tapers like a real BMS in its constant-voltage phase. A step that would leave
 * 5–100 % is refused (power 0), so SoC is always exactly the integral of the power shown.
 */
export function createBatteryModel(ctx: ModelContext): Stepper<'battery'> {
  const { rng, ratedKw, site } = ctx;
  const capacityKwh = ratedKw * BATTERY_HOURS;
  const clock = createClock();
  const clouds = createClouds(site, ctx.weatherSeed);
  const noise = createOrnsteinUhlenbeck({ rng, mean: 0, stdDev: 1, timeConstantS: 300 });
  let soc = 40 + 40 * rng();
  return (ts) => {
    const dtS = clock(ts);
    const { hour } = localTime(ts, site.timezone);
    const sun = clearSkyFactor(solarElevation(site.latitude, site.longitude, ts)) * clouds(dtS);
    const n = noise.step(dtS);
    let power: number;
    if (hour >= 17 && hour < 21)
      power = ratedKw * (0.45 + 0.05 * n); // 4 h × 45 % ≈ 1.8 h: nearly, not always, empty
    else if (hour >= 9 && hour < 17 && sun > 0.15) {
      const taper = soc > 90 ? (SOC_MAX - soc) / 10 : 1;
      power = -ratedKw * Math.min(1, sun * 1.1) * taper * (1 + 0.03 * n);
    } else power = ratedKw * 0.01 * n;
    power = clamp(power, -ratedKw, ratedKw); // the inverter's limit, whatever the noise says
    const nextSoc = soc - ((power * dtS) / 3600 / capacityKwh) * 100;
    if (nextSoc > SOC_MAX || nextSoc < SOC_MIN) power = 0;
    else soc = nextSoc;
    return { soc: round3(soc), power: round3(power) };
  };
}

/** Car arrivals per hour by local hour: morning commute, daytime visitors, evening. */
function arrivalsPerHour(hour: number, isWeekend: boolean): number {
  const scale = isWeekend ? 0.5 : 1;
  if (hour >= 7 && hour < 10) return 0.5 * scale;
  if (hour >= 10 && hour < 17) return 0.25 * scale;
  if (hour >= 17 && hour < 21) return 0.4 * scale;
  return 0.05 * scale;
}

/**
 * Sessions: idle at 0 kW until a car arrives (Poisson, rate by hour), then charge
 * at what the car accepts (60–100 % of rated) until it has its 5–50 kWh. Power is the
 * interval average, so a session ending mid-step shows a partial value.
 */
export function createEvChargerModel(ctx: ModelContext): Stepper<'ev_charger'> {
  const { rng, ratedKw, site } = ctx;
  const clock = createClock();
  let energy = 0;
  let remainingKwh = 0;
  let sessionKw = 0;
  return (ts) => {
    const dtS = clock(ts);
    if (remainingKwh <= 0 && dtS > 0) {
      const { hour, isWeekend } = localTime(ts, site.timezone);
      if (rng() < 1 - Math.exp((-arrivalsPerHour(hour, isWeekend) * dtS) / 3600)) {
        remainingKwh = 5 + 45 * rng();
        sessionKw = ratedKw * (0.6 + 0.4 * rng());
      }
    }
    let power = 0;
    if (remainingKwh > 0 && dtS > 0) {
      const delivered = clamp((sessionKw * dtS) / 3600, 0, remainingKwh);
      remainingKwh -= delivered;
      energy += delivered;
      power = (delivered * 3600) / dtS;
    }
    return { power: round3(power), energy: round3(energy) };
  };
}
