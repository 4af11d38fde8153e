// Datalogger outages: times a device's readings do not arrive at all, while the device itself runs
// on. Pure: the same device and time give the same answer. The demo's heat pump has a flaky logger,
// for its no_data alarm rule (src/seed/demo-alarms.ts).
import type { DeviceType } from '../domain/device-types.js';
import { hashSeed } from './random.js';

const PERIOD_MS = 3 * 3600_000;
const SILENT_MS = 20 * 60_000;

/** Whether the logger of a device of this type is silent at `ts`: 20 minutes in every 3 hours, at a phase of its own. */
export function loggerSilent(type: DeviceType, deviceId: string, ts: number): boolean {
  if (type !== 'heat_pump') return false;
  const phase = hashSeed('logger', deviceId) % PERIOD_MS;
  return (((ts - phase) % PERIOD_MS) + PERIOD_MS) % PERIOD_MS < SILENT_MS;
}
