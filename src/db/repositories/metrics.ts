import { and, asc, count, eq, inArray, ne } from 'drizzle-orm';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import type { EnergyRole } from '../../domain/energy-roles.js';
import { devices, metrics, sites } from '../schema.js';
import { writeAudit } from './audit.js';
import { catalogueCache } from './catalogue-cache.js';

export interface MetricInput {
  key: string;
  name: string;
  unit: string;
  kind: 'gauge' | 'counter';
  intervalSeconds: number;
  /** Left out: none (on create), unchanged (on update). */
  energyRole?: EnergyRole | null;
  /** Display precision (decimal places); left out: none (on create), unchanged (on update). */
  decimals?: number | null;
}

export interface MetricRow extends MetricInput {
  energyRole: EnergyRole | null;
  decimals: number | null;
  pk: number;
  id: string;
  deviceId: string;
  siteId: string;
  latestTs: number | null;
  latestValue: number | null;
  latestReceivedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export const metricCols = {
  pk: metrics.pk,
  id: metrics.id,
  deviceId: metrics.deviceId,
  siteId: metrics.siteId,
  key: metrics.key,
  name: metrics.name,
  unit: metrics.unit,
  kind: metrics.kind,
  intervalSeconds: metrics.intervalSeconds,
  energyRole: metrics.energyRole,
  decimals: metrics.decimals,
  latestTs: metrics.latestTs,
  latestValue: metrics.latestValue,
  latestReceivedAt: metrics.latestReceivedAt,
  createdAt: metrics.createdAt,
  updatedAt: metrics.updatedAt,
};

export interface MetricInContext extends MetricRow {
  deviceName: string;
  siteName: string;
  siteTimezone: string;
}

export type MetricChange =
  { status: 'ok'; metric: MetricRow } | { status: 'not_found' } | { status: 'key_taken' } | { status: 'last' };

export function metricsRepository(db: Db) {
  const find = (tx: Pick<Db, 'select'>, id: string): MetricRow | null =>
    tx.select(metricCols).from(metrics).where(eq(metrics.id, id)).get() ?? null;
  // Hot paths (the metric feed, a site's latest values, ingestion): plain prepared statements
  // returning arrays, turned into MetricRow here. Drizzle's row mapping is a large share of these
  // lookups, and better-sqlite3 builds a row object property by property through V8's API, slower
  // than the array plus an object literal (docs/performance.md). The column order is fromRaw's.
  const cols = `m.pk, m.id, m.device_id, m.site_id, m.key, m.name, m.unit, m.kind, m.interval_seconds,
    m.latest_ts, m.latest_value, m.latest_received_at, m.created_at, m.updated_at, m.energy_role, m.decimals`;
  const byId = db.$client.prepare<[string], RawMetric>(`SELECT ${cols} FROM metrics m WHERE m.id = ?`).raw(true);
  const bySite = db.$client
    .prepare<[string], [...RawMetric, string, string]>(
      `SELECT ${cols}, d.name, d.type FROM metrics m JOIN devices d ON d.id = m.device_id WHERE m.site_id = ? ORDER BY d.name, m.pk`,
    )
    .raw(true);
  // Any number of ids in one statement: they travel as one JSON array (no bound-parameter limit).
  const byIds = db.$client
    .prepare<[string], RawMetric>(`SELECT ${cols} FROM metrics m WHERE m.id IN (SELECT value FROM json_each(?))`)
    .raw(true);
  // Ingestion needs only these three: the other ten columns were half of its metric lookup.
  const keysByIds = db.$client
    .prepare<[string], [number, string, string]>(
      'SELECT pk, id, site_id FROM metrics WHERE id IN (SELECT value FROM json_each(?))',
    )
    .raw(true);
  // A site's metrics in one call (the dashboard's poll, the fleet page): their names, units and
  // device names change only when someone edits them, their latest values with every batch. The
  // rest of each row is cached per site while the catalogue version is unchanged (triggers in
  // drizzle/0004_catalog_version.sql move it on any such edit, whoever writes; a new latest value
  // does not), and only the latest values are read: three numbers a metric instead of fifteen
  // columns, ten of them strings, whose making would be most of this read.
  const bySiteLatest = db.$client
    .prepare<[string], [number, number | null, number | null, number | null]>(
      'SELECT pk, latest_ts, latest_value, latest_received_at FROM metrics WHERE site_id = ?',
    )
    .raw(true);
  const catalogue = catalogueCache<SiteMetric>(db, CATALOGUE_MAX_ROWS);
  // Every telemetry message looks its device up: cached per device under the catalogue version,
  // like a site's metrics, since only an edit of devices or metrics changes the answer.
  const targets = catalogueCache<TelemetryTarget>(db, CATALOGUE_MAX_ROWS);
  const targetRows = db.$client
    .prepare<[string], [string, string | null, number | null, string | null]>(
      'SELECT d.site_id, m.key, m.pk, m.id FROM devices d LEFT JOIN metrics m ON m.device_id = d.id WHERE d.id = ?',
    )
    .raw(true);
  const readSite = (siteId: string): SiteMetric[] =>
    bySite.all(siteId).map((raw) => {
      const row = fromRaw(raw as unknown as RawMetric) as SiteMetric;
      row.deviceName = raw[16]; // assigned, not spread: a spread copies the row
      row.deviceType = raw[17];
      return row;
    });
  // One read transaction: the version, the rows and the latest values come from one snapshot.
  const siteMetrics = db.$client.transaction((siteId: string): SiteMetric[] => {
    if (!catalogue.sync()) return readSite(siteId);
    const cached = catalogue.get(siteId);
    if (cached) {
      // The same version in the same snapshot means the same metrics, one latest value each; a
      // missing one would mean a trigger missed a change, so the site is read again instead.
      const latest = new Map(bySiteLatest.all(siteId).map((l) => [l[0], l]));
      if (latest.size === cached.length && cached.every((m) => latest.has(m.pk)))
        return cached.map((m) => withLatest(m, latest.get(m.pk)!));
    }
    const rows = readSite(siteId);
    catalogue.set(siteId, rows);
    return rows.map((r) => withLatest(r, [r.pk, r.latestTs, r.latestValue, r.latestReceivedAt]));
  });
  const keyTaken = (tx: Pick<Db, 'select'>, deviceId: string, key: string, exceptId?: string) =>
    !!tx
      .select({ id: metrics.id })
      .from(metrics)
      .where(and(eq(metrics.deviceId, deviceId), eq(metrics.key, key), exceptId ? ne(metrics.id, exceptId) : undefined))
      .get();
  return {
    async findById(id: string): Promise<MetricRow | null> {
      const raw = byId.get(id);
      return raw ? fromRaw(raw) : null;
    },
    async findManyByIds(ids: string[]): Promise<MetricRow[]> {
      return ids.length === 0 ? [] : byIds.all(JSON.stringify(ids)).map(fromRaw);
    },
    /** The integer key and site of each metric that exists (ingestion's lookup). */
    async keysByIds(ids: string[]): Promise<{ pk: number; id: string; siteId: string }[]> {
      return ids.length === 0 ? [] : keysByIds.all(JSON.stringify(ids)).map(([pk, id, siteId]) => ({ pk, id, siteId }));
    },
    /** Metrics with their device and site names and the site's zone (labels, time series). */
    async findInContext(ids: string[]): Promise<MetricInContext[]> {
      if (ids.length === 0) return [];
      return db
        .select({ ...metricCols, deviceName: devices.name, siteName: sites.name, siteTimezone: sites.timezone })
        .from(metrics)
        .innerJoin(devices, eq(devices.id, metrics.deviceId))
        .innerJoin(sites, eq(sites.id, metrics.siteId))
        .where(inList(ids))
        .all();
    },
    async listByDevice(deviceId: string): Promise<MetricRow[]> {
      return db.select(metricCols).from(metrics).where(eq(metrics.deviceId, deviceId)).orderBy(asc(metrics.pk)).all();
    },
    /** A device's site and metric keys, for its telemetry; null if there is no such device. */
    async telemetryTarget(deviceId: string): Promise<TelemetryTarget | null> {
      const read = () => telemetryTargetOf(deviceId, targetRows.all(deviceId));
      // Not inside a caller's transaction (see catalogue-cache.ts).
      if (db.$client.inTransaction || !targets.sync()) return read();
      const cached = targets.get(deviceId);
      if (cached) return cached[0];
      const target = read();
      if (target) targets.set(deviceId, [target]);
      return target;
    },
    /** The site's metrics with their device names, by device name; fresh objects (the cache's stay untouched). */
    async listBySite(siteId: string): Promise<SiteMetric[]> {
      // Not inside a caller's transaction (see catalogue-cache.ts): there the site is always read.
      return db.$client.inTransaction ? readSite(siteId) : siteMetrics(siteId);
    },
    async create(
      device: { id: string; siteId: string },
      input: MetricInput,
      actorId: string | null,
    ): Promise<MetricChange> {
      return db.transaction((tx): MetricChange => {
        if (keyTaken(tx, device.id, input.key)) return { status: 'key_taken' };
        const now = Date.now();
        const id = newId('met');
        tx.insert(metrics)
          .values({ id, deviceId: device.id, siteId: device.siteId, ...input, createdAt: now, updatedAt: now })
          .run();
        const metric = find(tx, id)!;
        writeAudit(tx, {
          actorId,
          siteId: device.siteId,
          entityType: 'metric',
          entityId: id,
          action: 'create',
          after: audited(metric),
        });
        return { status: 'ok', metric };
      });
    },
    async update(id: string, patch: Partial<MetricInput>, actorId: string | null): Promise<MetricChange> {
      return db.transaction((tx): MetricChange => {
        const before = find(tx, id);
        if (!before) return { status: 'not_found' };
        if (patch.key !== undefined && keyTaken(tx, before.deviceId, patch.key, id)) return { status: 'key_taken' };
        tx.update(metrics)
          .set({ ...patch, updatedAt: Date.now() })
          .where(eq(metrics.id, id))
          .run();
        const metric = find(tx, id)!;
        writeAudit(tx, {
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
    },
    /** Refuses to delete a device's last metric (checked inside the transaction, so two deletes cannot race past it). */
    async delete(id: string, actorId: string | null): Promise<MetricChange> {
      return db.transaction((tx): MetricChange => {
        const before = find(tx, id);
        if (!before) return { status: 'not_found' };
        const siblings = tx.select({ n: count() }).from(metrics).where(eq(metrics.deviceId, before.deviceId)).get()!.n;
        if (siblings <= 1) return { status: 'last' };
        tx.delete(metrics).where(eq(metrics.id, id)).run();
        writeAudit(tx, {
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

type RawMetric = [
  number,
  string,
  string,
  string,
  string,
  string,
  string,
  MetricRow['kind'],
  number,
  number | null,
  number | null,
  number | null,
  number,
  number,
  EnergyRole | null,
  number | null,
];

const fromRaw = (r: RawMetric): MetricRow => ({
  pk: r[0],
  id: r[1],
  deviceId: r[2],
  siteId: r[3],
  key: r[4],
  name: r[5],
  unit: r[6],
  kind: r[7],
  intervalSeconds: r[8],
  latestTs: r[9],
  latestValue: r[10],
  latestReceivedAt: r[11],
  createdAt: r[12],
  updatedAt: r[13],
  energyRole: r[14],
  decimals: r[15],
});

export type SiteMetric = MetricRow & { deviceName: string; deviceType: string };

/** What a device's telemetry needs to be stored: its site, and its metrics' keys by metric key. */
export interface TelemetryTarget {
  deviceId: string;
  siteId: string;
  metrics: ReadonlyMap<string, { pk: number; id: string }>;
}

/** A device's target from its rows [site_id, key, pk, id] (key null: a device without metrics). */
export function telemetryTargetOf(
  deviceId: string,
  rows: readonly (readonly [string, string | null, number | null, string | null])[],
): TelemetryTarget | null {
  if (rows.length === 0) return null;
  const metrics = new Map<string, { pk: number; id: string }>();
  for (const [, key, pk, id] of rows) if (key !== null) metrics.set(key, { pk: pk!, id: id! });
  return { deviceId, siteId: rows[0][0], metrics };
}

/** Cached metric rows at most (about 0.5 kB each, so ~25 MB); past it the site catalogue cache starts over. */
const CATALOGUE_MAX_ROWS = 50_000;

/** A cached row with its current latest value, as a new object: callers never touch the cached one. */
const withLatest = (
  m: SiteMetric,
  [, latestTs, latestValue, latestReceivedAt]: [number, number | null, number | null, number | null],
): SiteMetric => ({
  pk: m.pk,
  id: m.id,
  deviceId: m.deviceId,
  siteId: m.siteId,
  key: m.key,
  name: m.name,
  unit: m.unit,
  kind: m.kind,
  intervalSeconds: m.intervalSeconds,
  energyRole: m.energyRole,
  decimals: m.decimals,
  latestTs,
  latestValue,
  latestReceivedAt,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
  deviceName: m.deviceName,
  deviceType: m.deviceType,
});

/** A metric as its audit rows record it (devices.ts writes the same shape for a device's metrics). */
export const audited = (m: MetricRow) => ({
  id: m.id,
  deviceId: m.deviceId,
  key: m.key,
  name: m.name,
  unit: m.unit,
  kind: m.kind,
  intervalSeconds: m.intervalSeconds,
  energyRole: m.energyRole,
  decimals: m.decimals,
});

const inList = (ids: string[]) => inArray(metrics.id, ids);

export type MetricsRepository = ReturnType<typeof metricsRepository>;
