// Drives the demo fleet: physically plausible readings (src/simulator) written through the same
// ingestion path as the API. Backfills history first, then a reading per metric every 10 s.
import type { FleetDevice } from '../db/repositories/fleet.js';
import type { Repositories } from '../db/repositories/index.js';
import { DEFAULT_RATED_KW, isDeviceType } from '../domain/device-types.js';
import { createDeviceModel, type DeviceModel } from '../simulator/index.js';
import type { ReadingsService } from './readings.js';
import { HOUR_MS, MINUTE_MS } from '../time.js';

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface Driven {
  model: DeviceModel;
  /** What the model was built from: a device whose type, rating or site changes gets a new one. */
  spec: string;
  metrics: { pk: number; id: string; key: string; offset: number }[];
}

export function simulatorService(repos: Repositories, readings: ReadingsService, log: Log) {
  let timer: NodeJS.Timeout | undefined;
  let driven = new Map<string, Driven>();

  /** Models for every device whose type the simulator knows; new devices join at the next tick. */
  function sync(fleet: FleetDevice[]) {
    const next = new Map<string, Driven>();
    for (const d of fleet) {
      if (!isDeviceType(d.type) || d.latitude === null || d.longitude === null) continue;
      const ratedKw = d.ratedPowerKw ?? DEFAULT_RATED_KW[d.type];
      const spec = [d.type, ratedKw, d.latitude, d.longitude, d.timezone].join('|');
      const known = driven.get(d.deviceId)?.spec === spec ? driven.get(d.deviceId) : undefined;
      const model =
        known?.model ??
        createDeviceModel({
          type: d.type,
          seed: d.deviceId,
          site: { latitude: d.latitude, longitude: d.longitude, timezone: d.timezone },
          ratedKw,
        });
      const keys = new Set<string>(model.metricKeys);
      // Counters continue from their stored value after a restart (or a new model) instead of falling back to 0.
      const metrics = d.metrics
        .filter((m) => keys.has(m.key))
        .map((m) => ({
          pk: m.pk,
          id: m.id,
          key: m.key,
          offset:
            known?.metrics.find((k) => k.pk === m.pk)?.offset ?? (m.kind === 'counter' ? (m.latestValue ?? 0) : 0),
        }));
      if (metrics.length > 0) next.set(d.deviceId, { model, spec, metrics });
    }
    driven = next;
  }

  function stepAll(ts: number) {
    const rows = [];
    for (const { model, metrics } of driven.values()) {
      const values: Record<string, number> = model.step(ts);
      for (const m of metrics)
        rows.push({ metricPk: m.pk, metricId: m.id, ts, value: Math.round((values[m.key] + m.offset) * 1000) / 1000 });
    }
    return rows;
  }

  return {
    /** Writes history from `from` to now at `stepMs`, an hour of simulated time per transaction. */
    async backfill(from: number, to = Date.now(), stepMs = MINUTE_MS) {
      sync(await repos.fleet.devices());
      const started = Date.now();
      const start = Math.ceil(from / stepMs) * stepMs;
      const total = Math.max(1, Math.ceil((to - start) / stepMs));
      let written = 0,
        lastPct = -1;
      for (let t = start; t <= to;) {
        const rows = [];
        for (const end = Math.min(to, t + HOUR_MS); t <= end; t += stepMs) rows.push(...stepAll(t));
        written += await readings.write(rows, { live: false });
        const pct = Math.floor((100 * (t - start)) / stepMs / total / 10) * 10;
        if (pct > lastPct) {
          lastPct = pct;
          log.info({ percent: Math.min(pct, 100), readings: written }, 'simulator backfill');
        }
        // Yield after every chunk (an hour of the fleet, ~20 ms): requests are served during the backfill.
        await new Promise((r) => setImmediate(r));
      }
      log.info({ readings: written, ms: Date.now() - started }, 'simulator backfill done');
      return written;
    },

    start(everyMs = 10_000) {
      const tick = async () => {
        try {
          sync(await repos.fleet.devices());
          await readings.write(stepAll(Date.now()));
        } catch (err) {
          log.warn({ err }, 'simulator tick failed');
        }
      };
      timer = setInterval(tick, everyMs);
      timer.unref();
    },

    stop() {
      clearInterval(timer);
      timer = undefined;
    },

    /** The oldest "latest" timestamp among simulated metrics: where a restart resumes. */
    async resumeFrom(): Promise<number | null> {
      const fleet = await repos.fleet.devices();
      const ts = fleet.flatMap((d) => d.metrics.map((m) => m.latestTs)).filter((t): t is number => t !== null);
      return ts.length ? Math.min(...ts) : null;
    },
  };
}

export type SimulatorService = ReturnType<typeof simulatorService>;
