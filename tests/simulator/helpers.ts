// Shared fixtures for simulator tests: sites and a stepping loop.

import type { SiteLocation } from '../../src/simulator/index.js';

export const SEVILLA: SiteLocation = { latitude: 37.39, longitude: -5.98, timezone: 'Europe/Madrid' };
export const BERLIN: SiteLocation = { latitude: 52.52, longitude: 13.4, timezone: 'Europe/Berlin' };

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Step `model` from `from` (inclusive) to `to` (exclusive) every `stepMs`, handing each reading to `visit`. */
export function run<R>(
  model: { step(ts: number): R },
  from: number,
  to: number,
  stepMs: number,
  visit: (readings: R, ts: number) => void,
): void {
  for (let ts = from; ts < to; ts += stepMs) visit(model.step(ts), ts);
}
