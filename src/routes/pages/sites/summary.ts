// What the site pages show about metrics, computed from what services.metrics.siteLatest returns.
// (There is no per-site summary service yet; one query per site is fine at fleet sizes we serve.)
import type { MetricView } from '../../../services/views.js';

type Metric = Pick<MetricView, 'key' | 'unit' | 'latest' | 'deviceId'> & { deviceType?: string };

/**
 * Devices whose power is generated on the site. Not inverters (they pass on what PV arrays or
 * batteries produce), not batteries, chargers or heat pumps (they store or use power), and not
 * meters: a meter measures the exchange at a connection, which the devices behind it make up, so
 * adding meters to the rest counted the same power twice.
 */
const GENERATORS = new Set(['pv_array', 'wind_turbine', 'generator']);

/** A site's headline figures: generation now, the metered exchange now, stale and silent metrics. */
export function summarize(metrics: Metric[]) {
  let generationKw: number | null = null;
  let meteredKw: number | null = null;
  let stale = 0;
  let noData = 0;
  for (const m of metrics) {
    if (!m.latest) noData++;
    else if (m.latest.stale) stale++;
    if (m.key !== 'power' || m.unit !== 'kW' || !m.latest) continue;
    if (GENERATORS.has(m.deviceType ?? '')) generationKw = (generationKw ?? 0) + m.latest.value;
    else if (m.deviceType === 'meter') meteredKw = (meteredKw ?? 0) + m.latest.value;
  }
  return { generationKw, meteredKw, stale, noData, total: metrics.length };
}

/** Metrics grouped by device id, in the order they came. */
export function byDevice<T extends Metric>(metrics: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const m of metrics) {
    const list = out.get(m.deviceId);
    if (list) list.push(m);
    else out.set(m.deviceId, [m]);
  }
  return out;
}
