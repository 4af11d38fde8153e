// What the site pages show about metrics, computed from what services.metrics.siteLatest returns.
// (There is no per-site summary service yet; one query per site is fine at fleet sizes we serve.)
import type { MetricView } from '../../../services/views.js';

type Metric = Pick<MetricView, 'key' | 'unit' | 'latest' | 'deviceId'>;

export function summarize(metrics: Metric[]) {
  let powerKw = 0;
  let hasPower = false;
  let stale = 0;
  let noData = 0;
  for (const m of metrics) {
    if (!m.latest) noData++;
    else if (m.latest.stale) stale++;
    if (m.key === 'power' && m.unit === 'kW' && m.latest) {
      powerKw += m.latest.value;
      hasPower = true;
    }
  }
  return { powerKw: hasPower ? powerKw : null, stale, noData, total: metrics.length };
}

/** Metrics grouped by device id, in the order they came. */
export function byDevice<T extends Metric>(metrics: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const m of metrics) out.set(m.deviceId, [...(out.get(m.deviceId) ?? []), m]);
  return out;
}
