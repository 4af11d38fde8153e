// Site weather: clouds, outdoor temperature and wind. Seeded from the site, so every
// device there that is stepped at the same timestamps sees the same weather.

import { clamp } from './common.js';
import type { SiteLocation } from './common.js';
import { createOrnsteinUhlenbeck, hashSeed, mulberry32 } from './random.js';
import { yearFraction } from './sun.js';
import { HOUR_MS, HOUR_S } from '../time.js';

export function siteWeatherSeed(site: SiteLocation): number {
  return hashSeed('site', site.latitude.toFixed(4), site.longitude.toFixed(4));
}

/**
 * Clear-sky transmittance 0.25..1. Cloud cover mixes a weather regime lasting days
 * with clouds passing in minutes; higher latitudes are cloudier on average.
 * Cover → transmittance by Kasten & Czeplak (1980): 1 − 0.75·C^3.4.
 */
export function createClouds(site: SiteLocation, weatherSeed: number): (dtS: number) => number {
  const rng = mulberry32(hashSeed(weatherSeed, 'clouds'));
  const regime = createOrnsteinUhlenbeck({ rng, mean: 0, stdDev: 1, timeConstantS: 36 * HOUR_S });
  const passing = createOrnsteinUhlenbeck({ rng, mean: 0, stdDev: 1, timeConstantS: 1200 });
  const meanCover = clamp(0.05 + 0.008 * Math.abs(site.latitude), 0.1, 0.6);
  return (dtS) => {
    const cover = clamp(meanCover + 0.3 * regime.step(dtS) + 0.25 * passing.step(dtS), 0, 1);
    return 1 - 0.75 * Math.pow(cover, 3.4);
  };
}

/**
 * Outdoor air temperature (°C): annual mean falling with latitude, a seasonal sine
 * peaking late July (late January south of the equator), a daily sine peaking
 * ~15:00 solar time, and slow weather noise. Rough, but the right shape for heating.
 */
export function createOutdoorTemperature(site: SiteLocation, weatherSeed: number): (ts: number, dtS: number) => number {
  const rng = mulberry32(hashSeed(weatherSeed, 'temperature'));
  const noise = createOrnsteinUhlenbeck({ rng, mean: 0, stdDev: 2, timeConstantS: 8 * HOUR_S });
  const absLat = Math.abs(site.latitude);
  const annualMean = 30 - 0.42 * absLat;
  const seasonalAmp = 4 + 0.15 * absLat;
  const peakFraction = site.latitude >= 0 ? 0.56 : 0.06;
  return (ts, dtS) => {
    const season = Math.cos(2 * Math.PI * (yearFraction(ts) - peakFraction));
    const solarHour = (((ts / HOUR_MS + site.longitude / 15) % 24) + 24) % 24;
    const daily = Math.cos((2 * Math.PI * (solarHour - 15)) / 24);
    return annualMean + seasonalAmp * season + 5 * daily + noise.step(dtS);
  };
}

/**
 * Hub-height wind speed (m/s): a mean-reverting regime around the site mean (~7 m/s)
 * shared by the site, times device-local gusts; never negative.
 */
export function createWind(weatherSeed: number, gustSeed: number): (dtS: number) => number {
  const regimeRng = mulberry32(hashSeed(weatherSeed, 'wind'));
  const siteMean = 6.5 + regimeRng(); // 6.5–7.5: sites differ a little
  const regime = createOrnsteinUhlenbeck({ rng: regimeRng, mean: siteMean, stdDev: 3, timeConstantS: 4 * HOUR_S });
  const gust = createOrnsteinUhlenbeck({ rng: mulberry32(gustSeed), mean: 0, stdDev: 0.12, timeConstantS: 20 });
  return (dtS) => Math.max(0, regime.step(dtS) * (1 + gust.step(dtS)));
}
