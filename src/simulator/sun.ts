// Solar position from NOAA's "General Solar Position Calculations" (fractional year,
// equation of time, declination, hour angle): ±0.5° is plenty for a demo.
// https://gml.noaa.gov/grad/solcalc/solareqns.PDF
import { DAY_MS, MINUTE_MS } from '../time.js';

const DEG = Math.PI / 180;
const TROPICAL_YEAR_DAYS = 365.2422;
const JAN_1_2000 = Date.UTC(2000, 0, 1);

/**
 * Fraction of the year elapsed since ~1 January 00:00 UTC, in [0, 1). Counting
 * tropical years from 2000 avoids a Date allocation per step (hot path) and stays
 * within a day of the calendar until 2100, which moves the sun by < 0.4°.
 */
export function yearFraction(ts: number): number {
  const years = (ts - JAN_1_2000) / DAY_MS / TROPICAL_YEAR_DAYS;
  return years - Math.floor(years);
}

// Declination and equation of time drift < 0.003° per 10 minutes, so the eight
// trig calls behind them are shared by every device stepped within the same bucket.
const SEASON_BUCKET_MS = 10 * MINUTE_MS;
let seasonBucket = Number.NaN;
let declination = 0;
let eqTimeMin = 0;

function updateSeason(ts: number): void {
  const bucket = Math.floor(ts / SEASON_BUCKET_MS);
  if (bucket === seasonBucket) return;
  seasonBucket = bucket;
  // NOAA: γ = 2π/365 · (day_of_year − 1 + (hour − 12)/24); our fraction already holds the hour.
  const g = 2 * Math.PI * (yearFraction((bucket + 0.5) * SEASON_BUCKET_MS) - 0.5 / TROPICAL_YEAR_DAYS);
  eqTimeMin =
    229.18 *
    (0.000075 +
      0.001868 * Math.cos(g) -
      0.032077 * Math.sin(g) -
      0.014615 * Math.cos(2 * g) -
      0.040849 * Math.sin(2 * g));
  declination =
    0.006918 -
    0.399912 * Math.cos(g) +
    0.070257 * Math.sin(g) -
    0.006758 * Math.cos(2 * g) +
    0.000907 * Math.sin(2 * g) -
    0.002697 * Math.cos(3 * g) +
    0.00148 * Math.sin(3 * g);
}

/** Sun elevation above the horizon in degrees (negative at night). */
export function solarElevation(latitude: number, longitude: number, ts: number): number {
  updateSeason(ts);
  const decl = declination;
  const utcMinutes = (((ts % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS;
  // True solar time in minutes; timezone offset is 0 because we work in UTC.
  const trueSolarMin = utcMinutes + eqTimeMin + 4 * longitude;
  const hourAngle = (trueSolarMin / 4 - 180) * DEG;
  const lat = latitude * DEG;
  const cosZenith = Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(hourAngle);
  return 90 - Math.acos(Math.min(1, Math.max(-1, cosZenith))) / DEG;
}

/**
 * Clear-sky irradiance on a horizontal surface relative to the sun at zenith, 0..1.
 * Air mass from Kasten & Young (1989); attenuation 0.7^(AM^0.678) from Meinel (1976),
 * normalised so that AM = 1 gives 1. https://www.pveducation.org/pvcdrom/properties-of-sunlight/air-mass
 */
export function clearSkyFactor(elevationDeg: number): number {
  if (elevationDeg <= 0) return 0;
  const zenith = 90 - elevationDeg;
  const sinElevation = Math.sin(elevationDeg * DEG); // = cos(zenith)
  const airMass = 1 / (sinElevation + 0.50572 * Math.pow(96.07995 - zenith, -1.6364));
  const factor = (sinElevation * Math.pow(0.7, Math.pow(airMass, 0.678))) / 0.7;
  return Math.min(1, Math.max(0, factor));
}
