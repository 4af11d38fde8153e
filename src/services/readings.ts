import type { Repositories } from '../db/repositories/index.js';
import type { ReadingRow } from '../db/repositories/readings.js';
import { errors, invalid, type FieldError } from '../errors.js';
import { utcTime } from '../timeseries/zone.js';
import type { LiveHub } from './live.js';
import { canManageDevices, canView, type Actor } from './policy.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../time.js';

export interface ReadingInput {
  metricId: string;
  timestamp: string;
  value: number;
}

const FUTURE_TOLERANCE_MS = 5 * MINUTE_MS;
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an ISO 8601 timestamp with a zone, or NaN. */
function parseTimestamp(s: string): number {
  const m = ISO.exec(s);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  // Date.parse rolls 2026-02-30 over to March 2: a reading must be stored where it says it is.
  const day = new Date(utcTime(y, mo - 1, d));
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return Number.NaN;
  return Date.parse(s);
}

/**
 * `retentionDays` (RETENTION_DAYS): raw readings older than that are purged and only hourly
 * roll-ups stay. A reading for such an hour would make its roll-up be rebuilt from what raw
 * readings are left, losing the rest, so ingestion refuses any hour that starts before the horizon.
 */
export function readingsService(repos: Repositories, hub: LiveHub, retentionDays = 0) {
  /** Why a reading's time (epoch ms, NaN when unparsable) cannot be stored, or null. */
  function checkTime(ts: number, now: number): string | null {
    if (!Number.isFinite(ts)) return 'Not an ISO 8601 timestamp with a zone, e.g. 2026-01-31T12:00:00Z';
    if (ts > now + FUTURE_TOLERANCE_MS) return 'More than 5 minutes in the future';
    if (ts < 0) return 'Before 1970';
    if (retentionDays > 0 && Math.floor(ts / HOUR_MS) * HOUR_MS < now - retentionDays * DAY_MS)
      return `Older than the retention of ${retentionDays} days: hours before ${new Date(now - retentionDays * DAY_MS).toISOString()} keep only their hourly roll-ups`;
    return null;
  }

  return {
    checkTime,
    parseTimestamp,

    /**
     * Validates the whole batch first, then writes it in one transaction and publishes it to live
     * streams. Any invalid reading refuses the batch (422, each offending index and why).
     */
    async ingest(actor: Actor, readings: ReadingInput[], now = Date.now()) {
      const ids = [...new Set(readings.map((r) => r.metricId))];
      // Once per distinct metric, not per reading: its key and whether the actor may write it.
      // An invisible metric is left out, so it is reported exactly like an unknown one.
      const targets = new Map<string, { pk: number; writable: boolean }>();
      for (const m of await repos.metrics.keysByIds(ids)) {
        if (canView(actor, m.siteId)) targets.set(m.id, { pk: m.pk, writable: canManageDevices(actor, m.siteId) });
      }
      const problems: FieldError[] = [];
      const forbidden = new Set<string>();
      const rows: (ReadingRow & { metricId: string })[] = [];
      const parsed = new Map<string, number>();
      readings.forEach((r, i) => {
        const metric = targets.get(r.metricId);
        if (!metric) {
          problems.push({ path: `/readings/${i}/metricId`, message: `Unknown metric "${r.metricId}"` });
          return;
        }
        if (!metric.writable) forbidden.add(r.metricId);
        // A gateway's batch repeats few distinct timestamps: parse each once.
        let ts = parsed.get(r.timestamp);
        if (ts === undefined) parsed.set(r.timestamp, (ts = parseTimestamp(r.timestamp)));
        const timeProblem = checkTime(ts, now);
        if (timeProblem) problems.push({ path: `/readings/${i}/timestamp`, message: timeProblem });
        if (typeof r.value !== 'number' || !Number.isFinite(r.value))
          problems.push({ path: `/readings/${i}/value`, message: 'Must be a finite number' });
        rows.push({ metricPk: metric.pk, metricId: r.metricId, ts, value: r.value });
      });
      if (problems.length > 0)
        throw invalid(
          problems,
          `${new Set(problems.map((p) => p.path.split('/')[2])).size} of ${readings.length} readings are invalid; nothing was stored`,
        );
      if (forbidden.size > 0) throw new errors.FORBIDDEN(`write readings for ${[...forbidden].join(', ')}`);
      return { stored: await this.write(rows, { now }) };
    },

    /**
     * The write half of ingestion, shared by the API and the simulator: one transaction for
     * readings, roll-ups and latest values, then the live fan-out (skipped for backfills).
     */
    async write(rows: (ReadingRow & { metricId: string })[], opts: { now?: number; live?: boolean } = {}) {
      const stored = await repos.readings.ingest(rows, opts.now ?? Date.now());
      if (opts.live !== false) await hub.publish(rows);
      // The batch may have raised or cleared alarms (evaluated in its transaction).
      hub.alarmsChanged();
      return stored;
    },
  };
}

export type ReadingsService = ReturnType<typeof readingsService>;
