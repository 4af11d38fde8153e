import type { Repositories } from '../db/repositories/index.js';
import type { TelemetryTarget } from '../db/repositories/metrics.js';
import type { ReadingRow } from '../db/repositories/readings.js';
import { errors, invalid } from '../errors.js';
import { keyMayWrite, requireManageDevices, type Actor, type IngestPrincipal } from './policy.js';
import type { ReadingsService } from './readings.js';
import { MAX_TELEMETRY_READINGS, parseTelemetry, pointer } from './telemetry-body.js';

const deviceNotFound = () => new errors.DEVICE_NOT_FOUND();

/**
 * Device telemetry: a device's values by metric key, sent by the device (with its ingest key) or
 * by a person who manages the device; any transport of device messages calls this service. It is translated into readings and stored by
 * the readings service's write path: the same validation of times and values, one transaction,
 * a repeated metric and time replacing the value, the same live events and roll-ups.
 */
export function telemetryService(repos: Repositories, readings: ReadingsService) {
  /** The readings a message holds for a device, validated as a whole (422 with every fault). */
  async function rowsOf(target: TelemetryTarget, body: unknown, now: number) {
    const { samples, problems } = parseTelemetry(body);
    if (problems.length > 0) throw invalid(problems, 'Not telemetry; nothing was stored');
    const byKey = target.metrics;
    const unknown = new Set<string>();
    const rows: (ReadingRow & { metricId: string })[] = [];
    for (const sample of samples) {
      const { at, valuesAt } = sample;
      const ts =
        sample.ts === undefined ? now : typeof sample.ts === 'number' ? sample.ts : readings.parseTimestamp(sample.ts);
      const timeProblem =
        typeof sample.ts === 'number' && !Number.isInteger(ts)
          ? 'Milliseconds since 1970 must be a whole number'
          : readings.checkTime(ts, now);
      if (timeProblem) problems.push({ path: `${at}/ts`, message: timeProblem });
      for (const [key, value] of Object.entries(sample.values)) {
        const metric = byKey.get(key);
        const path = `${valuesAt}/${pointer(key)}`;
        if (!metric) {
          unknown.add(key);
          problems.push({ path, message: `Unknown metric key "${key}" on this device` });
        } else if (typeof value !== 'number' || !Number.isFinite(value))
          problems.push({ path, message: 'Must be a finite number' });
        else rows.push({ metricPk: metric.pk, metricId: metric.id, ts, value });
      }
    }
    if (rows.length + unknown.size > MAX_TELEMETRY_READINGS)
      problems.push({ path: '', message: `At most ${MAX_TELEMETRY_READINGS} readings in one message` });
    if (problems.length > 0)
      throw invalid(
        problems,
        unknown.size > 0
          ? `Unknown metric keys on this device: ${[...unknown].join(', ')}; nothing was stored`
          : 'Invalid telemetry; nothing was stored',
      );
    return rows;
  }

  /** The device a key names (`deviceId`, or its own for null), if the key may write to it. */
  async function deviceForKey(key: IngestPrincipal, deviceId: string | null): Promise<TelemetryTarget> {
    const id = deviceId ?? key.deviceId;
    if (id === null)
      throw new errors.FORBIDDEN(
        "send telemetry without naming a device with a site's key; use /api/devices/:deviceId/telemetry",
      );
    const target = await repos.metrics.telemetryTarget(id);
    if (!target || !keyMayWrite(key, { id: target.deviceId, siteId: target.siteId })) throw deviceNotFound();
    return target;
  }

  /** A device's target, or 404. */
  async function targetOf(deviceId: string): Promise<TelemetryTarget> {
    const target = await repos.metrics.telemetryTarget(deviceId);
    if (!target) throw deviceNotFound();
    return target;
  }

  return {
    /** `send` for either kind of writer: a device's ingest key or a person. */
    async send(writer: Actor | IngestPrincipal, deviceId: string | null, body: unknown, now = Date.now()) {
      if ('keyId' in writer) return this.sendAsKey(writer, deviceId, body, now);
      if (deviceId === null)
        throw new errors.FORBIDDEN("send telemetry without naming a device: only a device's ingest key names it");
      return this.sendAsPerson(writer, deviceId, body, now);
    },

    /**
     * A device's key sends for `deviceId`, or (null) for the one device it names. A device the key
     * may not write to is a missing one (404); a site key that names no device is refused (403).
     */
    async sendAsKey(key: IngestPrincipal, deviceId: string | null, body: unknown, now = Date.now()) {
      const rows = await rowsOf(await deviceForKey(key, deviceId), body, now);
      return { stored: await readings.write(rows, { now }) };
    },

    /**
     * sendAsKey's checks without the write: the readings to store, for a transport that commits
     * several messages together (write-batcher.ts).
     */
    async checkAsKey(key: IngestPrincipal, deviceId: string | null, body: unknown, now = Date.now()) {
      const target = await deviceForKey(key, deviceId);
      return { deviceId: target.deviceId, rows: await rowsOf(target, body, now) };
    },

    /**
     * The readings of a message for a device named by a transport that authenticated the sender
     * itself (an existing broker, through the bridge): a missing device is 404.
     */
    async checkForDevice(deviceId: string, body: unknown, now = Date.now()) {
      return rowsOf(await targetOf(deviceId), body, now);
    },

    /** A person sends for a device they manage (technicians of its site, admins): viewers 403, others 404. */
    async sendAsPerson(actor: Actor, deviceId: string, body: unknown, now = Date.now()) {
      const target = await repos.metrics.telemetryTarget(deviceId);
      requireManageDevices(actor, target?.siteId, deviceNotFound, 'send telemetry');
      return { stored: await readings.write(await rowsOf(target!, body, now), { now }) };
    },
  };
}

export type TelemetryService = ReturnType<typeof telemetryService>;
