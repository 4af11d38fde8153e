// What a device model reports: one sample of every default metric of its type, as the device-type
// catalogue (src/domain/device-types.ts) lists them, so the simulator has no list of its own.
import type { DeviceType, MetricKey } from '../domain/device-types.js';

/** One sample of every default metric of a device type. */
export type Readings<T extends DeviceType> = Record<MetricKey<T>, number>;

/** Advances a device to `ts` (ms since epoch) and returns its readings there. */
export type Stepper<T extends DeviceType> = (ts: number) => Readings<T>;
