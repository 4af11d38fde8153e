import { metrics } from '../schema.js';

/** A metric's columns as src/db/repositories/metrics.ts's MetricRow, for every PostgreSQL repository that selects metrics. */
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
