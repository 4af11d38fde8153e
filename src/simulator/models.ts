// Entry point for device physics: one stateful model per device, stepped forward in
// time. Pure and deterministic: same options and same timestamps → same readings.

import type { ModelContext, SiteLocation } from './common.js';
import { DEFAULT_METRICS, type DeviceType, type MetricKey } from '../domain/device-types.js';
import type { Readings, Stepper } from './metrics.js';
import {
  createGeneratorModel,
  createInverterModel,
  createPvModel,
  createWindModel,
  type DcFeed,
} from './models-generation.js';
import { createHeatPumpModel, createMeterModel, createOtherModel, type MeteredSite } from './models-load.js';
import { createBatteryModel, createEvChargerModel } from './models-storage.js';
import { offsetAt } from '../timeseries/zone.js';
import { hashSeed, mulberry32 } from './random.js';
import { siteWeatherSeed } from './weather.js';

export interface DeviceModelOptions<T extends DeviceType = DeviceType> {
  readonly type: T;
  /** Device identity for randomness: a number, or e.g. the device id. */
  readonly seed: number | string;
  readonly site: SiteLocation;
  /** Nameplate power; DEFAULT_RATED_KW[type] when the device has none stored. */
  readonly ratedKw: number;
}

export interface DeviceModel<T extends DeviceType = DeviceType> {
  readonly type: T;
  readonly metricKeys: readonly MetricKey<T>[];
  /**
   * Readings at `ts` (ms since epoch). Call with increasing timestamps at any spacing;
   * the first call, or a timestamp not after the previous one, advances nothing.
   */
  step(ts: number): Readings<T>;
}

/** What a device sees of the rest of its site (src/simulator/site.ts); a device alone has none. */
export interface DeviceLinks {
  /** A meter's site: its generation and flows. */
  readonly site?: MeteredSite;
  /** An inverter's DC input from the site's arrays. */
  readonly dc?: DcFeed;
}

// A mapped type, so indexing with a generic T keeps the link between type and readings.
const FACTORIES: { [K in DeviceType]: (ctx: ModelContext, links: DeviceLinks) => Stepper<K> } = {
  battery: createBatteryModel,
  inverter: (ctx, links) => createInverterModel(ctx, links.dc),
  pv_array: createPvModel,
  wind_turbine: createWindModel,
  meter: (ctx, links) => createMeterModel(ctx, links.site),
  ev_charger: createEvChargerModel,
  heat_pump: createHeatPumpModel,
  generator: createGeneratorModel,
  other: createOtherModel,
};

function validate(options: DeviceModelOptions): void {
  const { type, site, ratedKw } = options;
  if (!Object.hasOwn(FACTORIES, type)) throw new RangeError(`unknown device type: ${String(type)}`);
  if (!(Number.isFinite(ratedKw) && ratedKw > 0)) throw new RangeError(`ratedKw must be > 0, got ${ratedKw}`);
  if (!(Math.abs(site.latitude) <= 90)) throw new RangeError(`latitude out of range: ${site.latitude}`);
  if (!(Math.abs(site.longitude) <= 180)) throw new RangeError(`longitude out of range: ${site.longitude}`);
  offsetAt(0, site.timezone); // fail now, not mid-backfill, on an unknown zone
}

export function createDeviceModel<T extends DeviceType>(
  options: DeviceModelOptions<T>,
  links: DeviceLinks = {},
): DeviceModel<T> {
  validate(options);
  const { type, seed, site, ratedKw } = options;
  const ctx: ModelContext = {
    site,
    ratedKw,
    rng: mulberry32(hashSeed('device', type, seed)),
    weatherSeed: siteWeatherSeed(site),
  };
  const step: Stepper<T> = FACTORIES[type](ctx, links);
  const metricKeys = DEFAULT_METRICS[type].map((m) => m.key);
  return { type, metricKeys, step };
}
