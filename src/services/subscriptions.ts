import type { MetricInContext } from '../db/repositories/metrics.js';
import type { Repositories } from '../db/repositories/index.js';
import type { Subscription } from '../db/repositories/subscriptions.js';
import { errors, invalid, type FieldError } from '../errors.js';
import type { LiveHub } from './live.js';
import { canView, type Actor } from './policy.js';
import { iso, metricView } from './views.js';

export interface SubscriptionInput {
  name: string;
  metricIds: string[];
}

const notFound = () => new errors.SUBSCRIPTION_NOT_FOUND();

/** A subscription's times are in its first metric's site's zone (usually every metric's): chart, CSV and page alike. */
export const zoneOf = (metrics: MetricInContext[]) => metrics[0]?.siteTimezone ?? 'UTC';

const summary = (s: Subscription) => ({
  id: s.id,
  name: s.name,
  metricCount: s.metricCount,
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
});

export function subscriptionsService(repos: Repositories, hub: LiveHub) {
  /** Resolves requested ids to metric keys; anything unknown or invisible is refused alike. */
  async function resolveMetrics(actor: Actor, ids: string[]): Promise<number[]> {
    const problems: FieldError[] = [];
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) problems.push({ path: `/metricIds/${i}`, message: `Duplicate metric "${id}"` });
    });
    const found = new Map((await repos.metrics.findManyByIds(ids)).map((m) => [m.id, m]));
    ids.forEach((id, i) => {
      const m = found.get(id);
      if (!m || !canView(actor, m.siteId))
        problems.push({ path: `/metricIds/${i}`, message: `Unknown metric "${id}"` });
    });
    if (problems.length > 0)
      throw invalid(
        problems,
        `Unknown or duplicate metrics: ${problems.map((p) => ids[Number(p.path.split('/')[2])]).join(', ')}`,
      );
    return ids.map((id) => found.get(id)!.pk);
  }

  /** Only the owner sees a subscription; anyone else gets the same 404 as for a missing id. */
  async function loadOwned(actor: Actor, id: string) {
    const sub = await repos.subscriptions.findById(id);
    if (!sub || sub.ownerId !== actor.id) throw notFound();
    return sub;
  }

  return {
    /**
     * The subscription with its metrics split by what the owner may see *now*: access is
     * re-checked at every read, so a lost membership hides those metrics everywhere.
     */
    async resolve(
      actor: Actor,
      id: string,
    ): Promise<{ subscription: Subscription; metrics: MetricInContext[]; unavailable: string[] }> {
      const subscription = await loadOwned(actor, id);
      const all = await repos.subscriptions.metricsOf(id);
      return {
        subscription,
        metrics: all.filter((m) => canView(actor, m.siteId)),
        unavailable: all.filter((m) => !canView(actor, m.siteId)).map((m) => m.id),
      };
    },

    async list(actor: Actor, page: { limit: number; cursor?: string }) {
      const result = await repos.subscriptions.listByOwner(actor.id, page.limit, page.cursor);
      if (!result) throw new errors.INVALID_CURSOR();
      // Counted as GET counts them: only metrics of sites the owner can see now.
      const sites = await repos.subscriptions.metricSites(result.items.map((s) => s.id));
      const visible = (id: string) => (sites.get(id) ?? []).filter((siteId) => canView(actor, siteId)).length;
      return {
        items: result.items.map((s) => ({ ...summary(s), metricCount: visible(s.id) })),
        nextCursor: result.nextCursor,
      };
    },

    async get(actor: Actor, id: string) {
      const { subscription, metrics, unavailable } = await this.resolve(actor, id);
      const now = Date.now();
      return {
        ...summary(subscription),
        metricCount: metrics.length,
        timezone: zoneOf(metrics),
        metrics: metrics.map((m) =>
          Object.assign(metricView(m, now), { deviceName: m.deviceName, siteName: m.siteName }),
        ), // not spread: see siteLatest
        unavailable,
      };
    },

    async create(actor: Actor, input: SubscriptionInput) {
      const pks = await resolveMetrics(actor, input.metricIds);
      return this.get(actor, (await repos.subscriptions.create(actor.id, input.name.trim(), pks)).id);
    },

    async update(actor: Actor, id: string, patch: Partial<SubscriptionInput>) {
      await loadOwned(actor, id);
      const metricPks = patch.metricIds ? await resolveMetrics(actor, patch.metricIds) : undefined;
      await repos.subscriptions.update(id, { name: patch.name?.trim(), metricPks });
      hub.subscriptionChanged(id);
      return this.get(actor, id);
    },

    async delete(actor: Actor, id: string) {
      await loadOwned(actor, id);
      await repos.subscriptions.delete(id);
      hub.subscriptionChanged(id);
    },
  };
}

export type SubscriptionsService = ReturnType<typeof subscriptionsService>;
