// Public surface of the demo-fleet simulator: pure physics, no I/O, no timers.

export { createDeviceModel } from './models.js';
export type { DeviceLinks, DeviceModel, DeviceModelOptions } from './models.js';
export { createSiteModel } from './site.js';
export type { SiteDevice, SiteModel } from './site.js';
export { PLANT_AUXILIARY_SHARE } from './models-load.js';
export type { SiteFlows } from './models-load.js';
export type { Readings } from './metrics.js';
export type { SiteLocation } from './common.js';
export { windPowerCurve, WIND_CUT_IN_MS, WIND_CUT_OUT_MS, WIND_RATED_MS } from './models-generation.js';
export { BATTERY_HOURS, SOC_MAX, SOC_MIN } from './models-storage.js';
export { clearSkyFactor, solarElevation } from './sun.js';
export { localTime } from './local-time.js';
export { loggerSilent } from './outages.js';
export type { LocalTime } from './local-time.js';
export { createOrnsteinUhlenbeck, gaussian, hashSeed, mulberry32 } from './random.js';
export type { OrnsteinUhlenbeck, Rng } from './random.js';
