import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import { devices, metrics, sites, subscriptionMetrics, subscriptions } from '../schema.js';
import { metricCols, type MetricInContext } from './metrics.js';
import { decodeCursor, toPage, type Page } from './page.js';

export interface Subscription {
  id: string;
  ownerId: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  metricCount: number;
}

const cols = {
  id: subscriptions.id,
  ownerId: subscriptions.ownerId,
  name: subscriptions.name,
  createdAt: subscriptions.createdAt,
  updatedAt: subscriptions.updatedAt,
  metricCount:
    sql<number>`(SELECT count(*) FROM subscription_metrics sm WHERE sm.subscription_id = "subscriptions"."id")`.mapWith(
      Number,
    ),
};

export function subscriptionsRepository(db: Db) {
  const find = (tx: Pick<Db, 'select'>, id: string) =>
    tx.select(cols).from(subscriptions).where(eq(subscriptions.id, id)).get() ?? null;
  const setMetrics = (tx: Pick<Db, 'insert' | 'delete'>, id: string, pks: number[]) => {
    tx.delete(subscriptionMetrics).where(eq(subscriptionMetrics.subscriptionId, id)).run();
    pks.forEach((metricPk, position) =>
      tx.insert(subscriptionMetrics).values({ subscriptionId: id, metricPk, position }).run(),
    );
  };
  return {
    async findById(id: string): Promise<Subscription | null> {
      return find(db, id);
    },
    async listByOwner(ownerId: string, limit: number, cursor?: string): Promise<Page<Subscription> | null> {
      const key = decodeCursor(cursor);
      if (key === null) return null;
      const after = key
        ? or(
            gt(subscriptions.name, String(key[0])),
            and(eq(subscriptions.name, String(key[0])), gt(subscriptions.id, key[1])),
          )
        : undefined;
      const rows = db
        .select(cols)
        .from(subscriptions)
        .where(and(eq(subscriptions.ownerId, ownerId), after))
        .orderBy(asc(subscriptions.name), asc(subscriptions.id))
        .limit(limit + 1)
        .all();
      return toPage(rows, limit, (s) => [s.name, s.id]);
    },
    /** The subscription's metrics in their saved order, with device and site for labels and zones. */
    async metricsOf(id: string): Promise<MetricInContext[]> {
      return db
        .select({ ...metricCols, deviceName: devices.name, siteName: sites.name, siteTimezone: sites.timezone })
        .from(subscriptionMetrics)
        .innerJoin(metrics, eq(metrics.pk, subscriptionMetrics.metricPk))
        .innerJoin(devices, eq(devices.id, metrics.deviceId))
        .innerJoin(sites, eq(sites.id, metrics.siteId))
        .where(eq(subscriptionMetrics.subscriptionId, id))
        .orderBy(asc(subscriptionMetrics.position))
        .all();
    },
    /** subscriptionId -> the site of each of its metrics, for counting what the owner can see now. */
    async metricSites(ids: string[]): Promise<Map<string, string[]>> {
      const out = new Map<string, string[]>(ids.map((id) => [id, []]));
      if (ids.length === 0) return out;
      const rows = db
        .select({ subscriptionId: subscriptionMetrics.subscriptionId, siteId: metrics.siteId })
        .from(subscriptionMetrics)
        .innerJoin(metrics, eq(metrics.pk, subscriptionMetrics.metricPk))
        .where(inArray(subscriptionMetrics.subscriptionId, ids))
        .all();
      for (const r of rows) out.get(r.subscriptionId)?.push(r.siteId);
      return out;
    },
    async create(ownerId: string, name: string, metricPks: number[]): Promise<Subscription> {
      const now = Date.now();
      return db.transaction((tx) => {
        const id = newId('sub');
        tx.insert(subscriptions).values({ id, ownerId, name, createdAt: now, updatedAt: now }).run();
        setMetrics(tx, id, metricPks);
        return find(tx, id)!;
      });
    },
    async update(id: string, patch: { name?: string; metricPks?: number[] }): Promise<Subscription | null> {
      return db.transaction((tx) => {
        if (!find(tx, id)) return null;
        tx.update(subscriptions)
          .set({ ...(patch.name ? { name: patch.name } : {}), updatedAt: Date.now() })
          .where(eq(subscriptions.id, id))
          .run();
        if (patch.metricPks) setMetrics(tx, id, patch.metricPks);
        return find(tx, id)!;
      });
    },
    async delete(id: string): Promise<boolean> {
      return db.delete(subscriptions).where(eq(subscriptions.id, id)).run().changes > 0;
    },
  };
}

export type SubscriptionsRepository = ReturnType<typeof subscriptionsRepository>;
