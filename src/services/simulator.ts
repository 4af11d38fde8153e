// Drives the demo fleet, the devices marked `simulated` (only the demo seed marks any): physically
// plausible readings (src/simulator), site by site, written through the same ingestion path as the
// API. Backfills history first, then a reading per metric every 10 s. Devices someone adds are never
// driven, so a reading they push stays theirs.
import type { FleetDevice } from '../db/repositories/fleet.js';
import type { Repositories } from '../db/repositories/index.js';
import { DEFAULT_METRICS, DEFAULT_RATED_KW, isDeviceType, type DeviceType } from '../domain/device-types.js';
import { createSiteModel, loggerSilent, type SiteModel } from '../simulator/index.js';
import type { ReadingsService } from './readings.js';
import { HOUR_MS, MINUTE_MS } from '../time.js';

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface DrivenSite {
  model: SiteModel;
  /** What the model was built from: a site whose devices, ratings or place change gets a new one. */
  spec: string;
  metrics: { deviceId: string; type: DeviceType; pk: number; id: string; key: string; offset: number }[];
}

export function simulatorService(repos: Repositories, readings: ReadingsService, log: Log) {
  let timer: NodeJS.Timeout | undefined;
  let driven = new Map<string, DrivenSite>();

  /**
   * One model per site for its simulated devices whose type the simulator knows, so the meter sees
   * what the rest produce and use; newly simulated devices join at the next tick.
   */
  function sync(fleet: FleetDevice[]) {
    const bySite = new Map<string, FleetDevice[]>();
    for (const d of fleet) {
      if (!isDeviceType(d.type) || d.latitude === null || d.longitude === null) continue;
      bySite.set(d.siteId, [...(bySite.get(d.siteId) ?? []), d]);
    }
    const next = new Map<string, DrivenSite>();
    for (const [siteId, list] of bySite) {
      const first = list[0];
      const location = { latitude: first.latitude!, longitude: first.longitude!, timezone: first.timezone };
      const devices = list.map((d) => ({
        id: d.deviceId,
        type: d.type as DeviceType,
        ratedKw: d.ratedPowerKw ?? DEFAULT_RATED_KW[d.type as DeviceType],
        seed: d.deviceId,
      }));
      const spec = JSON.stringify([location, devices]);
      const known = driven.get(siteId)?.spec === spec ? driven.get(siteId) : undefined;
      const model = known?.model ?? createSiteModel(location, devices);
      const metrics = [];
      for (const d of list) {
        const keys = new Set<string>(DEFAULT_METRICS[d.type as DeviceType].map((m) => m.key));
        for (const m of d.metrics) {
          if (!keys.has(m.key)) continue;
          // Counters continue from their stored value after a restart (or a new model) instead of falling back to 0.
          const offset =
            known?.metrics.find((k) => k.pk === m.pk)?.offset ?? (m.kind === 'counter' ? (m.latestValue ?? 0) : 0);
          metrics.push({ deviceId: d.deviceId, type: d.type as DeviceType, pk: m.pk, id: m.id, key: m.key, offset });
        }
      }
      if (metrics.length > 0) next.set(siteId, { model, spec, metrics });
    }
    driven = next;
  }

  function stepAll(ts: number) {
    const rows: SimulatedReading[] = [];
    for (const [siteId, { model, metrics }] of driven) {
      const values = model.step(ts);
      for (const m of metrics) {
        // The device ran on (its model stepped), but its logger sent nothing.
        if (loggerSilent(m.type, m.deviceId, ts)) continue;
        rows.push({
          siteId,
          deviceId: m.deviceId,
          key: m.key,
          metricPk: m.pk,
          metricId: m.id,
          ts,
          value: Math.round((values.get(m.deviceId)![m.key] + m.offset) * 1000) / 1000,
        });
      }
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

    /** A reading per metric every `everyMs`, written directly or handed to `send` (SIMULATOR=mqtt). */
    start(everyMs = 10_000, send?: (rows: SimulatedReading[]) => Promise<void>) {
      const tick = async () => {
        try {
          sync(await repos.fleet.devices());
          const rows = stepAll(Date.now());
          await (send ? send(rows) : readings.write(rows));
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

/** A simulated reading, with what a transport needs to send it as its device would. */
export interface SimulatedReading {
  siteId: string;
  deviceId: string;
  key: string;
  metricPk: number;
  metricId: string;
  ts: number;
  value: number;
}

export type SimulatorService = ReturnType<typeof simulatorService>;
