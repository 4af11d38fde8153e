// What the site pages show about a site's metrics: its headline figures, and its metrics by device.
import type { LatestView } from './views.js';

type Metric = { key: string; unit: string; deviceType?: string; latest: Pick<LatestView, 'value' | 'stale'> | null };

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
export function byDevice<T extends { deviceId: string }>(metrics: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const m of metrics) {
    const list = out.get(m.deviceId);
    if (list) list.push(m);
    else out.set(m.deviceId, [m]);
  }
  return out;
}
