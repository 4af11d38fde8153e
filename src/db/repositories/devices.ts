import { and, asc, eq, gt, inArray, or } from 'drizzle-orm';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import { devices, metrics } from '../schema.js';
import { writeAudit } from './audit.js';
import { catalogueCache } from './catalogue-cache.js';
import { audited, metricCols, type MetricInput, type MetricRow } from './metrics.js';
import { decodeCursor, toPage, type Page } from './page.js';

export interface Device {
  id: string;
  siteId: string;
  name: string;
  type: string;
  manufacturer: string | null;
  model: string | null;
  serialNumber: string | null;
  /** Nameplate power in kW; null: the type's default. */
  ratedPowerKw: number | null;
  /** Readings come from the demo simulator, which drives no other device. */
  simulated: boolean;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export type DeviceInput = Pick<Device, 'name' | 'type' | 'manufacturer' | 'model' | 'serialNumber'> &
  Partial<Pick<Device, 'ratedPowerKw' | 'simulated'>>;

export type UpdateResult = { status: 'ok'; device: Device } | { status: 'not_found' } | { status: 'stale' };

/** A metric row of the edit form: with `id` it changes that metric, without it adds one. */
export type MetricEdit = MetricInput & { id?: string };

/** Why a row was refused; `index` is its position in the list (null: the list as a whole). */
export type MetricProblem =
  { index: null; problem: 'empty' } | { index: number; problem: 'duplicate_key' | 'duplicate_id' | 'unknown_id' };

export type UpdateWithMetricsResult =
  | { status: 'ok'; device: Device; metrics: MetricRow[] }
  | { status: 'not_found' }
  | { status: 'stale' }
  | { status: 'invalid'; problems: MetricProblem[] };

const metricFields = ['key', 'name', 'unit', 'kind', 'intervalSeconds', 'energyRole', 'decimals'] as const;

/** Cached device rows at most (~10 MB); past it the first-page cache starts over. */
const FIRST_PAGES_MAX_ROWS = 20_000;
/** The largest page (200, PageQuery in src/schemas/common.ts) and the row that says there is more. */
const FIRST_PAGE_ROWS = 201;

type RawDevice = [
  string,
  string,
  string,
  string,
  string | null,
  string | null,
  string | null,
  number | null,
  number,
  number,
  number,
  number,
];

const fromRaw = (r: RawDevice): Device => ({
  id: r[0],
  siteId: r[1],
  name: r[2],
  type: r[3],
  manufacturer: r[4],
  model: r[5],
  serialNumber: r[6],
  ratedPowerKw: r[7],
  simulated: r[8] === 1,
  version: r[9],
  createdAt: r[10],
  updatedAt: r[11],
});

export function devicesRepository(db: Db) {
  const find = (tx: Pick<Db, 'select'>, id: string): Device | null =>
    tx.select().from(devices).where(eq(devices.id, id)).get() ?? null;
  const metricsOf = (tx: Pick<Db, 'select'>, deviceId: string): MetricRow[] =>
    tx.select(metricCols).from(metrics).where(eq(metrics.deviceId, deviceId)).orderBy(asc(metrics.pk)).all();
  // The first page of a site's devices (every site page and its 10-second poll): a plain prepared
  // statement returning arrays, as on the metrics' hot paths (Drizzle's row mapping is a large
  // share of so small a read), and cached per site in the catalogue cache. The version is read before the
  // rows, so a change in between is filed under the old version and dropped by the next request,
  // never kept. The column order is fromRaw's.
  const firstPage = db.$client
    .prepare<[string, number], RawDevice>(
      'SELECT id, site_id, name, type, manufacturer, model, serial_number, rated_power_kw, simulated, version, created_at, updated_at FROM devices WHERE site_id = ? ORDER BY name, id LIMIT ?',
    )
    .raw(true);
  const firstPages = catalogueCache<Device>(db, FIRST_PAGES_MAX_ROWS);
  /** The first `rows` devices of the site by name; up to FIRST_PAGE_ROWS from the cache. */
  function firstPageOf(siteId: string, rows: number): Device[] {
    // Not inside a caller's transaction (see catalogue-cache.ts), nor without the version row.
    if (rows > FIRST_PAGE_ROWS || db.$client.inTransaction || !firstPages.sync())
      return firstPage.all(siteId, rows).map(fromRaw);
    let cached = firstPages.get(siteId);
    if (!cached) {
      cached = firstPage.all(siteId, FIRST_PAGE_ROWS).map(fromRaw);
      firstPages.set(siteId, cached);
    }
    return cached.slice(0, rows).map((d) => ({ ...d })); // copies: callers never touch the cached rows
  }
  return {
    async findById(id: string): Promise<Device | null> {
      return find(db, id);
    },
    async list(siteId: string, limit: number, cursor?: string): Promise<Page<Device> | null> {
      const key = decodeCursor(cursor);
      if (key === null) return null;
      const after = key
        ? or(gt(devices.name, String(key[0])), and(eq(devices.name, String(key[0])), gt(devices.id, key[1])))
        : undefined;
      const rows = after
        ? db
            .select()
            .from(devices)
            .where(and(eq(devices.siteId, siteId), after))
            .orderBy(asc(devices.name), asc(devices.id))
            .limit(limit + 1)
            .all()
        : firstPageOf(siteId, limit + 1);
      return toPage(rows, limit, (d) => [d.name, d.id]);
    },
    /** The device, its metrics and the audit row: one transaction. */
    async create(
      siteId: string,
      input: DeviceInput,
      metricInputs: MetricInput[],
      actorId: string | null,
    ): Promise<{ device: Device; metrics: MetricRow[] }> {
      const now = Date.now();
      return db.transaction((tx) => {
        const id = newId('dev');
        tx.insert(devices)
          .values({ id, siteId, ...input, version: 1, createdAt: now, updatedAt: now })
          .run();
        for (const m of metricInputs) {
          tx.insert(metrics)
            .values({ id: newId('met'), deviceId: id, siteId, ...m, createdAt: now, updatedAt: now })
            .run();
        }
        const device = find(tx, id)!;
        const created = metricsOf(tx, id);
        writeAudit(tx, {
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
    /** expectedVersion: from If-Match; a mismatch changes nothing. */
    async update(
      id: string,
      patch: Partial<DeviceInput>,
      expectedVersion: number | undefined,
      actorId: string | null,
    ): Promise<UpdateResult> {
      return db.transaction((tx): UpdateResult => {
        const before = find(tx, id);
        if (!before) return { status: 'not_found' };
        if (expectedVersion !== undefined && before.version !== expectedVersion) return { status: 'stale' };
        tx.update(devices)
          .set({ ...patch, version: before.version + 1, updatedAt: Date.now() })
          .where(eq(devices.id, id))
          .run();
        const device = find(tx, id)!;
        writeAudit(tx, {
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
    /**
     * The device's fields and its whole list of metrics, as the edit form sends them, in one transaction:
     * listed metrics with an id are changed, rows without one are added, the device's other metrics are
     * deleted (their readings go by cascade). Any refused row, or a stale version, changes nothing.
     */
    async updateWithMetrics(
      id: string,
      patch: Partial<DeviceInput>,
      edits: MetricEdit[],
      expectedVersion: number | undefined,
      actorId: string | null,
    ): Promise<UpdateWithMetricsResult> {
      return db.transaction((tx): UpdateWithMetricsResult => {
        const before = find(tx, id);
        if (!before) return { status: 'not_found' };
        if (expectedVersion !== undefined && before.version !== expectedVersion) return { status: 'stale' };
        const existing = metricsOf(tx, id);
        const problems = checkEdits(edits, new Set(existing.map((m) => m.id)));
        if (problems.length) return { status: 'invalid', problems };

        const now = Date.now();
        const kept = new Map(edits.filter((e) => e.id).map((e) => [e.id!, e]));
        const removed = existing.filter((m) => !kept.has(m.id));
        if (removed.length)
          tx.delete(metrics)
            .where(
              inArray(
                metrics.id,
                removed.map((m) => m.id),
              ),
            )
            .run();
        const differs = (m: MetricRow, e: MetricEdit) => metricFields.some((f) => e[f] !== undefined && m[f] !== e[f]);
        const changed = existing.filter((m) => kept.has(m.id) && differs(m, kept.get(m.id)!));
        // Keys are unique per device, so two metrics swapping keys would collide half-way: park the changed keys first.
        for (const m of changed)
          if (m.key !== kept.get(m.id)!.key)
            tx.update(metrics)
              .set({ key: `~${m.id}` })
              .where(eq(metrics.id, m.id))
              .run();
        for (const m of changed) {
          const { id: _id, ...fields } = kept.get(m.id)!;
          tx.update(metrics)
            .set({ ...fields, updatedAt: now })
            .where(eq(metrics.id, m.id))
            .run();
        }
        for (const e of edits.filter((x) => !x.id)) {
          const { id: _id, ...fields } = e;
          tx.insert(metrics)
            .values({
              id: newId('met'),
              deviceId: id,
              siteId: before.siteId,
              ...fields,
              createdAt: now,
              updatedAt: now,
            })
            .run();
        }
        tx.update(devices)
          .set({ ...patch, version: before.version + 1, updatedAt: now })
          .where(eq(devices.id, id))
          .run();

        const device = find(tx, id)!;
        const after = metricsOf(tx, id);
        const audit = (metricId: string, action: 'create' | 'update' | 'delete', b?: MetricRow, a?: MetricRow) =>
          writeAudit(
            tx,
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
        // The device's row names its metrics before and after, so its own history shows what the edit did to them.
        writeAudit(
          tx,
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
        for (const m of removed) audit(m.id, 'delete', m);
        for (const m of changed)
          audit(
            m.id,
            'update',
            m,
            after.find((a) => a.id === m.id),
          );
        const existingIds = new Set(existing.map((m) => m.id));
        for (const m of after.filter((a) => !existingIds.has(a.id))) audit(m.id, 'create', undefined, m);
        return { status: 'ok', device, metrics: after };
      });
    },
    /** Deletes the device; its metrics and their readings go with it (ON DELETE CASCADE). */
    async delete(id: string, actorId: string | null): Promise<boolean> {
      return db.transaction((tx) => {
        const before = find(tx, id);
        if (!before) return false;
        const gone = metricsOf(tx, id);
        tx.delete(devices).where(eq(devices.id, id)).run();
        writeAudit(tx, {
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

/** Every refused row, so the form can mark them all at once. */
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

const auditMetric = (m: MetricRow) => ({
  id: m.id,
  key: m.key,
  name: m.name,
  unit: m.unit,
  kind: m.kind,
  intervalSeconds: m.intervalSeconds,
  energyRole: m.energyRole,
  decimals: m.decimals,
});

export type DevicesRepository = ReturnType<typeof devicesRepository>;
