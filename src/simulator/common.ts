// Small pieces every device model shares.

import type { Rng } from './random.js';

export interface SiteLocation {
  readonly latitude: number;
  readonly longitude: number;
  /** IANA zone, e.g. "Europe/Madrid". */
  readonly timezone: string;
}

/** What a per-type model factory gets: device randomness plus a seed shared by the site. */
export interface ModelContext {
  readonly site: SiteLocation;
  readonly ratedKw: number;
  /** Device-private stream (sessions, gusts, jitter). */
  readonly rng: Rng;
  /** Same for every device at the site, so two PV arrays there see the same clouds. */
  readonly weatherSeed: number;
}

/** Three decimals; `+ 0` turns -0 into 0 so "exactly 0" really is 0. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000 + 0;
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** 0 → 1 smoothly between edge0 and edge1 (used for ramps like office hours). */
export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = clamp((x - edge0) / (edge1 - edge0), 0, 1);
  return t * t * (3 - 2 * t);
}

/**
 * Seconds since the previous step. The first step, a repeated or a backwards
 * timestamp all give 0, so counters can never run backwards whatever the caller does.
 */
export function createClock(): (ts: number) => number {
  let last = Number.NaN;
  return (ts: number) => {
    if (!Number.isFinite(ts)) throw new RangeError(`timestamp must be finite, got ${ts}`);
    if (Number.isNaN(last)) {
      last = ts;
      return 0;
    }
    if (ts <= last) return 0;
    const dtS = (ts - last) / 1000;
    last = ts;
    return dtS;
  };
}
