// Devices on PostgreSQL: the twin of ../../repositories/devices.ts. Every change takes the device
// row's lock (SELECT … FOR UPDATE) before its checks, so an If-Match version and the rule that a
// device keeps at least one metric hold when two requests race, as SQLite's single writer gave.
import type { Repositories } from '../../repositories/index.js';
import type {
  Device,
  MetricEdit,
  MetricProblem,
  UpdateResult,
  UpdateWithMetricsResult,
} from '../../repositories/devices.js';
import { audited, type MetricRow } from '../../repositories/metrics.js';
import { decodeCursor, toPage } from '../../repositories/page.js';
import { newId } from '../../ids.js';
import { catalogueCache, transaction, writeAudit, type PgHandle, type Queryable } from './sql.js';
import { definedOf, insertMetric, metricsOfDevice } from './metrics.js';

const DEVICE_COLS = `id, site_id AS "siteId", name, type, manufacturer, model, serial_number AS "serialNumber",
  rated_power_kw AS "ratedPowerKw", simulated, version, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Cached device rows at most and the rows of a first page, as on SQLite. */
const FIRST_PAGES_MAX_ROWS = 20_000;
const FIRST_PAGE_ROWS = 201;

const metricFields = ['key', 'name', 'unit', 'kind', 'intervalSeconds', 'energyRole', 'decimals'] as const;

async function deviceById(q: Queryable, id: string, lock = false): Promise<Device | null> {
  const r = await q.query<Device>(`SELECT ${DEVICE_COLS} FROM devices WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] ?? null;
}

async function setDevice(c: Queryable, id: string, d: Device): Promise<void> {
  await c.query(
    `UPDATE devices SET name = $2, type = $3, manufacturer = $4, model = $5, serial_number = $6, rated_power_kw = $7,
       simulated = $8, version = $9, updated_at = $10 WHERE id = $1`,
    [id, d.name, d.type, d.manufacturer, d.model, d.serialNumber, d.ratedPowerKw, d.simulated, d.version, d.updatedAt],
  );
}

const auditMetric = (m: MetricRow) => {
  const { deviceId: _d, ...rest } = audited(m);
  return rest;
};

export function pgDevicesRepository(db: PgHandle): Repositories['devices'] {
  const pool = db.$client;
  const firstPages = catalogueCache<Device>(pool, FIRST_PAGES_MAX_ROWS);
  // Byte order (COLLATE "C") as SQLite sorts, so pages and cursors agree with it.
  const page = (siteId: string, rows: number) =>
    pool.query<Device>(
      `SELECT ${DEVICE_COLS} FROM devices WHERE site_id = $1 ORDER BY name COLLATE "C", id COLLATE "C" LIMIT $2`,
      [siteId, rows],
    );
  async function firstPageOf(siteId: string, rows: number): Promise<Device[]> {
    if (rows > FIRST_PAGE_ROWS || !(await firstPages.sync())) return (await page(siteId, rows)).rows;
    let cached = firstPages.get(siteId);
    if (!cached) {
      cached = (await page(siteId, FIRST_PAGE_ROWS)).rows;
      firstPages.set(siteId, cached);
    }
    return cached.slice(0, rows).map((d) => ({ ...d }));
  }
  return {
    async findById(id) {
      return deviceById(pool, id);
    },
    async list(siteId, limit, cursor) {
      const key = decodeCursor(cursor);
      if (key === null) return null;
      const rows = key
        ? (
            await pool.query<Device>(
              `SELECT ${DEVICE_COLS} FROM devices WHERE site_id = $1
                 AND (name COLLATE "C" > $2 OR (name = $2 AND id COLLATE "C" > $3))
               ORDER BY name COLLATE "C", id COLLATE "C" LIMIT $4`,
              [siteId, String(key[0]), key[1], limit + 1],
            )
          ).rows
        : await firstPageOf(siteId, limit + 1);
      return toPage(rows, limit, (d) => [d.name, d.id]);
    },
    async create(siteId, input, metricInputs, actorId) {
      const now = Date.now();
      return transaction(pool, async (c) => {
        const id = newId('dev');
        await c.query(
          `INSERT INTO devices (id, site_id, name, type, manufacturer, model, serial_number, rated_power_kw, simulated, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)`,
          [
            id,
            siteId,
            input.name,
            input.type,
            input.manufacturer,
            input.model,
            input.serialNumber,
            input.ratedPowerKw ?? null,
            input.simulated ?? false,
            now,
          ],
        );
        for (const m of metricInputs)
          await insertMetric(c, { ...m, id: newId('met'), deviceId: id, siteId, createdAt: now, updatedAt: now });
        const device = (await deviceById(c, id))!;
        const created = await metricsOfDevice(c, id);
        await writeAudit(c, {
          actorId,
          siteId,
          entityType: 'device',
          entityId: id,
          action: 'create',
          after: { ...device, metrics: created.map(auditMetric) },
        });
        return { device, metrics: created };
      });
    },
    async update(id, patch, expectedVersion, actorId) {
      return transaction(pool, async (c): Promise<UpdateResult> => {
        const before = await deviceById(c, id, true);
        if (!before) return { status: 'not_found' };
        if (expectedVersion !== undefined && before.version !== expectedVersion) return { status: 'stale' };
        await setDevice(c, id, { ...before, ...definedOf(patch), version: before.version + 1, updatedAt: Date.now() });
        const device = (await deviceById(c, id))!;
        await writeAudit(c, {
          actorId,
          siteId: before.siteId,
          entityType: 'device',
          entityId: id,
          action: 'update',
          before,
          after: device,
        });
        return { status: 'ok', device };
      });
    },
    async updateWithMetrics(id, patch, edits, expectedVersion, actorId) {
      return transaction(pool, async (c): Promise<UpdateWithMetricsResult> => {
        const before = await deviceById(c, id, true);
        if (!before) return { status: 'not_found' };
        if (expectedVersion !== undefined && before.version !== expectedVersion) return { status: 'stale' };
        const existing = await metricsOfDevice(c, id);
        const problems = checkEdits(edits, new Set(existing.map((m) => m.id)));
        if (problems.length) return { status: 'invalid', problems };

        const now = Date.now();
        const kept = new Map(edits.filter((e) => e.id).map((e) => [e.id!, e]));
        const removed = existing.filter((m) => !kept.has(m.id));
        if (removed.length) await c.query('DELETE FROM metrics WHERE id = ANY($1::text[])', [removed.map((m) => m.id)]);
        const differs = (m: MetricRow, e: MetricEdit) => metricFields.some((f) => e[f] !== undefined && m[f] !== e[f]);
        const changed = existing.filter((m) => kept.has(m.id) && differs(m, kept.get(m.id)!));
        // Keys are unique per device, so two metrics swapping keys would collide half-way: park the changed keys first.
        for (const m of changed)
          if (m.key !== kept.get(m.id)!.key)
            await c.query('UPDATE metrics SET key = $2 WHERE id = $1', [m.id, `~${m.id}`]);
        for (const m of changed) {
          const { id: _id, ...fields } = kept.get(m.id)!;
          const next = { ...m, ...definedOf(fields) };
          await c.query(
            `UPDATE metrics SET key = $2, name = $3, unit = $4, kind = $5, interval_seconds = $6, energy_role = $7,
               decimals = $8, updated_at = $9 WHERE id = $1`,
            [
              m.id,
              next.key,
              next.name,
              next.unit,
              next.kind,
              next.intervalSeconds,
              next.energyRole,
              next.decimals,
              now,
            ],
          );
        }
        for (const e of edits.filter((x) => !x.id)) {
          const { id: _id, ...fields } = e;
          await insertMetric(c, {
            ...fields,
            id: newId('met'),
            deviceId: id,
            siteId: before.siteId,
            createdAt: now,
            updatedAt: now,
          });
        }
        await setDevice(c, id, { ...before, ...definedOf(patch), version: before.version + 1, updatedAt: now });

        const device = (await deviceById(c, id))!;
        const after = await metricsOfDevice(c, id);
        const audit = (metricId: string, action: 'create' | 'update' | 'delete', b?: MetricRow, a?: MetricRow) =>
          writeAudit(
            c,
            {
              actorId,
              siteId: before.siteId,
              entityType: 'metric',
              entityId: metricId,
              action,
              before: b && audited(b),
              after: a && audited(a),
            },
            now,
          );
        await writeAudit(
          c,
          {
            actorId,
            siteId: before.siteId,
            entityType: 'device',
            entityId: id,
            action: 'update',
            before: { ...before, metrics: existing.map(auditMetric) },
            after: { ...device, metrics: after.map(auditMetric) },
          },
          now,
        );
        for (const m of removed) await audit(m.id, 'delete', m);
        for (const m of changed)
          await audit(
            m.id,
            'update',
            m,
            after.find((a) => a.id === m.id),
          );
        const existingIds = new Set(existing.map((m) => m.id));
        for (const m of after.filter((a) => !existingIds.has(a.id))) await audit(m.id, 'create', undefined, m);
        return { status: 'ok', device, metrics: after };
      });
    },
    async delete(id, actorId) {
      return transaction(pool, async (c) => {
        const before = await deviceById(c, id, true);
        if (!before) return false;
        const gone = await metricsOfDevice(c, id);
        await c.query('DELETE FROM devices WHERE id = $1', [id]);
        await writeAudit(c, {
          actorId,
          siteId: before.siteId,
          entityType: 'device',
          entityId: id,
          action: 'delete',
          before: { ...before, metrics: gone.map(auditMetric) },
        });
        return true;
      });
    },
  };
}

/** Every refused row, so the form can mark them all at once (the same rules as on SQLite). */
function checkEdits(edits: MetricEdit[], ownIds: Set<string>): MetricProblem[] {
  if (edits.length === 0) return [{ index: null, problem: 'empty' }];
  const problems: MetricProblem[] = [];
  const keys = new Set<string>();
  const ids = new Set<string>();
  edits.forEach((e, index) => {
    if (e.id !== undefined && !ownIds.has(e.id)) problems.push({ index, problem: 'unknown_id' });
    else if (e.id !== undefined && ids.has(e.id)) problems.push({ index, problem: 'duplicate_id' });
    if (keys.has(e.key)) problems.push({ index, problem: 'duplicate_key' });
    if (e.id !== undefined) ids.add(e.id);
    keys.add(e.key);
  });
  return problems;
}
