import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import { newId } from '../../ids.js';
import type { Repositories } from '../../repositories/index.js';
import type { Subscription } from '../../repositories/subscriptions.js';
import { decodeCursor, toPage } from '../../repositories/page.js';
import { writeTransaction, type PgDb, type PgTx } from '../client.js';
import { devices, metrics, sites, subscriptionMetrics, subscriptions } from '../schema.js';
import { metricCols } from './metric-columns.js';

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

export function pgSubscriptionsRepository(db: PgDb): Repositories['subscriptions'] {
  const find = async (tx: PgDb | PgTx, id: string): Promise<Subscription | null> =>
    (await tx.select(cols).from(subscriptions).where(eq(subscriptions.id, id)))[0] ?? null;
  const setMetrics = async (tx: PgTx, id: string, pks: number[]) => {
    await tx.delete(subscriptionMetrics).where(eq(subscriptionMetrics.subscriptionId, id));
    if (pks.length > 0)
      await tx
        .insert(subscriptionMetrics)
        .values(pks.map((metricPk, position) => ({ subscriptionId: id, metricPk, position })));
  };
  return {
    findById: (id) => find(db, id),
    async listByOwner(ownerId, limit, cursor) {
      const key = decodeCursor(cursor);
      if (key === null) return null;
      const after = key
        ? or(
            gt(subscriptions.name, String(key[0])),
            and(eq(subscriptions.name, String(key[0])), gt(subscriptions.id, key[1])),
          )
        : undefined;
      const rows = await db
        .select(cols)
        .from(subscriptions)
        .where(and(eq(subscriptions.ownerId, ownerId), after))
        .orderBy(asc(subscriptions.name), asc(subscriptions.id))
        .limit(limit + 1);
      return toPage(rows, limit, (s) => [s.name, s.id]);
    },
    async metricsOf(id) {
      return db
        .select({ ...metricCols, deviceName: devices.name, siteName: sites.name, siteTimezone: sites.timezone })
        .from(subscriptionMetrics)
        .innerJoin(metrics, eq(metrics.pk, subscriptionMetrics.metricPk))
        .innerJoin(devices, eq(devices.id, metrics.deviceId))
        .innerJoin(sites, eq(sites.id, metrics.siteId))
        .where(eq(subscriptionMetrics.subscriptionId, id))
        .orderBy(asc(subscriptionMetrics.position));
    },
    async metricSites(ids) {
      const out = new Map<string, string[]>(ids.map((id) => [id, []]));
      if (ids.length === 0) return out;
      const rows = await db
        .select({ subscriptionId: subscriptionMetrics.subscriptionId, siteId: metrics.siteId })
        .from(subscriptionMetrics)
        .innerJoin(metrics, eq(metrics.pk, subscriptionMetrics.metricPk))
        .where(inArray(subscriptionMetrics.subscriptionId, ids));
      for (const r of rows) out.get(r.subscriptionId)?.push(r.siteId);
      return out;
    },
    async create(ownerId, name, metricPks) {
      const now = Date.now();
      return writeTransaction(db, async (tx) => {
        const id = newId('sub');
        await tx.insert(subscriptions).values({ id, ownerId, name, createdAt: now, updatedAt: now });
        await setMetrics(tx, id, metricPks);
        return (await find(tx, id))!;
      });
    },
    async update(id, patch) {
      return writeTransaction(db, async (tx) => {
        // The row lock orders two edits of one subscription: its metric list is replaced whole.
        const [locked] = await tx
          .select({ id: subscriptions.id })
          .from(subscriptions)
          .where(eq(subscriptions.id, id))
          .for('update');
        if (!locked) return null;
        await tx
          .update(subscriptions)
          .set({ ...(patch.name ? { name: patch.name } : {}), updatedAt: Date.now() })
          .where(eq(subscriptions.id, id));
        if (patch.metricPks) await setMetrics(tx, id, patch.metricPks);
        return (await find(tx, id))!;
      });
    },
    async delete(id) {
      const gone = await db.delete(subscriptions).where(eq(subscriptions.id, id)).returning({ id: subscriptions.id });
      return gone.length > 0;
    },
  };
}
