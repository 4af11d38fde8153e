import { and, asc, eq, gt, or } from 'drizzle-orm';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import { devices, metrics } from '../schema.js';
import { writeAudit } from './audit.js';
import { metricCols, type MetricInput, type MetricRow } from './metrics.js';
import { decodeCursor, toPage, type Page } from './page.js';

export interface Device {
  id: string;
  siteId: string;
  name: string;
  type: string;
  manufacturer: string | null;
  model: string | null;
  serialNumber: string | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export type DeviceInput = Pick<Device, 'name' | 'type' | 'manufacturer' | 'model' | 'serialNumber'>;

export type UpdateResult = { status: 'ok'; device: Device } | { status: 'not_found' } | { status: 'stale' };

export function devicesRepository(db: Db) {
  const find = (tx: Pick<Db, 'select'>, id: string): Device | null => tx.select().from(devices).where(eq(devices.id, id)).get() ?? null;
  const metricsOf = (tx: Pick<Db, 'select'>, deviceId: string): MetricRow[] =>
    tx.select(metricCols).from(metrics).where(eq(metrics.deviceId, deviceId)).orderBy(asc(metrics.pk)).all();
  return {
    async findById(id: string): Promise<Device | null> {
      return find(db, id);
    },
    async list(siteId: string, limit: number, cursor?: string): Promise<Page<Device> | null> {
      const key = decodeCursor(cursor);
      if (key === null) return null;
      const after = key ? or(gt(devices.name, String(key[0])), and(eq(devices.name, String(key[0])), gt(devices.id, key[1]))) : undefined;
      const rows = db.select().from(devices).where(and(eq(devices.siteId, siteId), after)).orderBy(asc(devices.name), asc(devices.id)).limit(limit + 1).all();
      return toPage(rows, limit, (d) => [d.name, d.id]);
    },
    /** The device, its metrics and the audit row: one transaction. */
    async create(siteId: string, input: DeviceInput, metricInputs: MetricInput[], actorId: string | null): Promise<{ device: Device; metrics: MetricRow[] }> {
      const now = Date.now();
      return db.transaction((tx) => {
        const id = newId('dev');
        tx.insert(devices).values({ id, siteId, ...input, version: 1, createdAt: now, updatedAt: now }).run();
        for (const m of metricInputs) {
          tx.insert(metrics).values({ id: newId('met'), deviceId: id, siteId, ...m, createdAt: now, updatedAt: now }).run();
        }
        const device = find(tx, id)!;
        const created = metricsOf(tx, id);
        writeAudit(tx, { actorId, siteId, entityType: 'device', entityId: id, action: 'create', after: { ...device, metrics: created.map(auditMetric) } });
        return { device, metrics: created };
      });
    },
    /** expectedVersion: from If-Match; a mismatch changes nothing. */
    async update(id: string, patch: Partial<DeviceInput>, expectedVersion: number | undefined, actorId: string | null): Promise<UpdateResult> {
      return db.transaction((tx): UpdateResult => {
        const before = find(tx, id);
        if (!before) return { status: 'not_found' };
        if (expectedVersion !== undefined && before.version !== expectedVersion) return { status: 'stale' };
        tx.update(devices).set({ ...patch, version: before.version + 1, updatedAt: Date.now() }).where(eq(devices.id, id)).run();
        const device = find(tx, id)!;
        writeAudit(tx, { actorId, siteId: before.siteId, entityType: 'device', entityId: id, action: 'update', before, after: device });
        return { status: 'ok', device };
      });
    },
    /** Deletes the device; its metrics and their readings go with it (ON DELETE CASCADE). */
    async delete(id: string, actorId: string | null): Promise<boolean> {
      return db.transaction((tx) => {
        const before = find(tx, id);
        if (!before) return false;
        const gone = metricsOf(tx, id);
        tx.delete(devices).where(eq(devices.id, id)).run();
        writeAudit(tx, { actorId, siteId: before.siteId, entityType: 'device', entityId: id, action: 'delete', before: { ...before, metrics: gone.map(auditMetric) } });
        return true;
      });
    },
  };
}

const auditMetric = (m: MetricRow) => ({ id: m.id, key: m.key, name: m.name, unit: m.unit, kind: m.kind, intervalSeconds: m.intervalSeconds });

export type DevicesRepository = ReturnType<typeof devicesRepository>;
