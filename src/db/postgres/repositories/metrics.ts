// Metrics on PostgreSQL: the twin of ../../repositories/metrics.ts. A change to a device's set of
// metrics locks the device row first, so two deletes cannot both pass the last-metric check.
import type { Repositories } from '../../repositories/index.js';
import {
  audited,
  type MetricChange,
  type MetricInput,
  type MetricInContext,
  type MetricRow,
  type SiteMetric,
  telemetryTargetOf,
  type TelemetryTarget,
} from '../../repositories/metrics.js';
import { newId } from '../../ids.js';
import { catalogueCache, isUniqueViolation, transaction, writeAudit, type PgHandle, type Queryable } from './sql.js';

/** The columns of a MetricRow under its field names; `m` is the metrics table. */
export const METRIC_COLS = `m.pk, m.id, m.device_id AS "deviceId", m.site_id AS "siteId", m.key, m.name, m.unit, m.kind,
  m.interval_seconds AS "intervalSeconds", m.energy_role AS "energyRole", m.decimals, m.latest_ts AS "latestTs",
  m.latest_value AS "latestValue", m.latest_received_at AS "latestReceivedAt", m.created_at AS "createdAt",
  m.updated_at AS "updatedAt"`;

/** Cached metric rows at most, as on SQLite. */
const CATALOGUE_MAX_ROWS = 50_000;

export async function metricById(q: Queryable, id: string): Promise<MetricRow | null> {
  const r = await q.query<MetricRow>(`SELECT ${METRIC_COLS} FROM metrics m WHERE m.id = $1`, [id]);
  return r.rows[0] ?? null;
}

export async function metricsOfDevice(q: Queryable, deviceId: string): Promise<MetricRow[]> {
  const r = await q.query<MetricRow>(`SELECT ${METRIC_COLS} FROM metrics m WHERE m.device_id = $1 ORDER BY m.pk`, [
    deviceId,
  ]);
  return r.rows;
}

/** Locks the device row until the transaction ends; false when there is no such device. */
export async function lockDevice(c: Queryable, deviceId: string): Promise<boolean> {
  return (await c.query('SELECT 1 FROM devices WHERE id = $1 FOR UPDATE', [deviceId])).rowCount === 1;
}

/** A new metric's row. */
export type NewMetric = MetricInput & {
  id: string;
  deviceId: string;
  siteId: string;
  createdAt: number;
  updatedAt: number;
};

export async function insertMetric(c: Queryable, m: NewMetric): Promise<void> {
  await c.query(
    `INSERT INTO metrics (id, device_id, site_id, key, name, unit, kind, interval_seconds, energy_role, decimals, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      m.id,
      m.deviceId,
      m.siteId,
      m.key,
      m.name,
      m.unit,
      m.kind,
      m.intervalSeconds,
      m.energyRole ?? null,
      m.decimals ?? null,
      m.createdAt,
      m.updatedAt,
    ],
  );
}

export function pgMetricsRepository(db: PgHandle): Repositories['metrics'] {
  const pool = db.$client;
  const catalogue = catalogueCache<SiteMetric>(pool, CATALOGUE_MAX_ROWS);
  const targets = catalogueCache<TelemetryTarget>(pool, CATALOGUE_MAX_ROWS);
  // Byte order (COLLATE "C"), as SQLite sorts text.
  const readSite = async (siteId: string): Promise<SiteMetric[]> =>
    (
      await pool.query<SiteMetric>(
        `SELECT ${METRIC_COLS}, d.name AS "deviceName", d.type AS "deviceType"
           FROM metrics m JOIN devices d ON d.id = m.device_id WHERE m.site_id = $1 ORDER BY d.name COLLATE "C", m.pk`,
        [siteId],
      )
    ).rows;
  return {
    async findById(id) {
      return metricById(pool, id);
    },
    async findManyByIds(ids) {
      if (ids.length === 0) return [];
      return (await pool.query<MetricRow>(`SELECT ${METRIC_COLS} FROM metrics m WHERE m.id = ANY($1::text[])`, [ids]))
        .rows;
    },
    async keysByIds(ids) {
      if (ids.length === 0) return [];
      const r = await pool.query<{ pk: number; id: string; siteId: string }>(
        'SELECT pk, id, site_id AS "siteId" FROM metrics WHERE id = ANY($1::text[])',
        [ids],
      );
      return r.rows;
    },
    async findInContext(ids) {
      if (ids.length === 0) return [];
      const r = await pool.query<MetricInContext>(
        `SELECT ${METRIC_COLS}, d.name AS "deviceName", s.name AS "siteName", s.timezone AS "siteTimezone"
           FROM metrics m JOIN devices d ON d.id = m.device_id JOIN sites s ON s.id = m.site_id
          WHERE m.id = ANY($1::text[])`,
        [ids],
      );
      return r.rows;
    },
    async listByDevice(deviceId) {
      return metricsOfDevice(pool, deviceId);
    },
    async telemetryTarget(deviceId) {
      const read = async () =>
        telemetryTargetOf(
          deviceId,
          (
            await pool.query<[string, string | null, number | null, string | null]>({
              text: 'SELECT d.site_id, m.key, m.pk, m.id FROM devices d LEFT JOIN metrics m ON m.device_id = d.id WHERE d.id = $1',
              values: [deviceId],
              rowMode: 'array',
            })
          ).rows,
        );
      // The version first, the rows after: a change in between is filed under the older version,
      // which the next call finds moved, so nothing stale is served from the cache.
      if (!(await targets.sync())) return read();
      const cached = targets.get(deviceId);
      if (cached) return cached[0];
      const target = await read();
      if (target) targets.set(deviceId, [target]);
      return target;
    },
    async listBySite(siteId) {
      // The catalogue version and the latest values in one round trip; the version is read with
      // (so no later than) the rows, and a change after it is filed under the old version.
      const r = await pool.query<[number, number | null, number | null, number | null, number | null]>({
        text: `SELECT c.version, m.pk, m.latest_ts, m.latest_value, m.latest_received_at
                 FROM catalog_version c LEFT JOIN metrics m ON m.site_id = $1 WHERE c.id = 1`,
        values: [siteId],
        rowMode: 'array',
      });
      if (!catalogue.syncTo(r.rows[0]?.[0])) return readSite(siteId);
      const cached = catalogue.get(siteId);
      if (cached) {
        const latest = new Map<number, [number | null, number | null, number | null]>();
        for (const [, pk, ts, value, at] of r.rows) if (pk !== null) latest.set(pk, [ts, value, at]);
        // The same metrics, one latest value each; anything else means the catalogue moved meanwhile.
        if (latest.size === cached.length && cached.every((m) => latest.has(m.pk)))
          return cached.map((m) => {
            const [latestTs, latestValue, latestReceivedAt] = latest.get(m.pk)!;
            return { ...m, latestTs, latestValue, latestReceivedAt };
          });
      }
      const rows = await readSite(siteId);
      catalogue.set(siteId, rows);
      return rows.map((x) => ({ ...x }));
    },
    async create(device, input, actorId) {
      try {
        return await transaction(pool, async (c): Promise<MetricChange> => {
          // A concurrent delete of the device's metrics waits for this one (and sees it).
          await lockDevice(c, device.id);
          const taken = await c.query('SELECT 1 FROM metrics WHERE device_id = $1 AND key = $2', [
            device.id,
            input.key,
          ]);
          if (taken.rowCount) return { status: 'key_taken' };
          const now = Date.now();
          const id = newId('met');
          await insertMetric(c, {
            ...input,
            id,
            deviceId: device.id,
            siteId: device.siteId,
            createdAt: now,
            updatedAt: now,
          });
          const metric = (await metricById(c, id))!;
          await writeAudit(c, {
            actorId,
            siteId: device.siteId,
            entityType: 'metric',
            entityId: id,
            action: 'create',
            after: audited(metric),
          });
          return { status: 'ok', metric };
        });
      } catch (err) {
        if (isUniqueViolation(err, 'metrics_device_key_idx')) return { status: 'key_taken' };
        throw err;
      }
    },
    async update(id, patch, actorId) {
      try {
        return await transaction(pool, async (c): Promise<MetricChange> => {
          const found = await c.query<{ deviceId: string }>(
            'SELECT device_id AS "deviceId" FROM metrics WHERE id = $1',
            [id],
          );
          if (!found.rowCount) return { status: 'not_found' };
          await lockDevice(c, found.rows[0].deviceId);
          const before = await metricById(c, id);
          if (!before) return { status: 'not_found' };
          if (patch.key !== undefined) {
            const taken = await c.query('SELECT 1 FROM metrics WHERE device_id = $1 AND key = $2 AND id <> $3', [
              before.deviceId,
              patch.key,
              id,
            ]);
            if (taken.rowCount) return { status: 'key_taken' };
          }
          const next = { ...before, ...definedOf(patch) };
          await c.query(
            `UPDATE metrics SET key = $2, name = $3, unit = $4, kind = $5, interval_seconds = $6, energy_role = $7,
               decimals = $8, updated_at = $9 WHERE id = $1`,
            [
              id,
              next.key,
              next.name,
              next.unit,
              next.kind,
              next.intervalSeconds,
              next.energyRole,
              next.decimals,
              Date.now(),
            ],
          );
          const metric = (await metricById(c, id))!;
          await writeAudit(c, {
            actorId,
            siteId: before.siteId,
            entityType: 'metric',
            entityId: id,
            action: 'update',
            before: audited(before),
            after: audited(metric),
          });
          return { status: 'ok', metric };
        });
      } catch (err) {
        if (isUniqueViolation(err, 'metrics_device_key_idx')) return { status: 'key_taken' };
        throw err;
      }
    },
    async delete(id, actorId) {
      return transaction(pool, async (c): Promise<MetricChange> => {
        const found = await c.query<{ deviceId: string }>('SELECT device_id AS "deviceId" FROM metrics WHERE id = $1', [
          id,
        ]);
        if (!found.rowCount) return { status: 'not_found' };
        // Locked before counting: a second delete of a sibling waits here and then counts one fewer.
        await lockDevice(c, found.rows[0].deviceId);
        const before = await metricById(c, id);
        if (!before) return { status: 'not_found' };
        const siblings = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM metrics WHERE device_id = $1', [
          before.deviceId,
        ]);
        if (siblings.rows[0].n <= 1) return { status: 'last' };
        await c.query('DELETE FROM metrics WHERE id = $1', [id]);
        await writeAudit(c, {
          actorId,
          siteId: before.siteId,
          entityType: 'metric',
          entityId: id,
          action: 'delete',
          before: audited(before),
        });
        return { status: 'ok', metric: before };
      });
    },
  };
}

/** The fields of a patch that are set (undefined leaves a field as it is, as Drizzle's set() does). */
export function definedOf<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
