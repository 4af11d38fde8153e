// The energy answers as CSV (docs/energy.md): one row per site and bucket, an empty cell for null.
import type { EnergyBucket, SiteEnergy } from './energy.js';
import { csvCell } from './timeseries.js';

const CSV_COLUMNS = [
  'production_kwh',
  'consumption_kwh',
  'grid_import_kwh',
  'grid_export_kwh',
  'battery_charge_kwh',
  'battery_discharge_kwh',
  'self_consumption',
  'self_sufficiency',
];
const csvValues = (b: EnergyBucket) =>
  [
    b.production,
    b.consumption,
    b.gridImport,
    b.gridExport,
    b.batteryCharge,
    b.batteryDischarge,
    b.selfConsumption,
    b.selfSufficiency,
  ].map((v) => (v === null ? '' : String(v)));

/** One row per site and bucket; the fleet's total first, as site "All sites". Empty cells are null. */
export function energyCsv(a: { sites: SiteEnergy[]; total?: EnergyBucket[] }): string {
  const rows = [['timestamp', 'site_id', 'site', ...CSV_COLUMNS].join(',')];
  const add = (id: string, name: string, buckets: EnergyBucket[]) => {
    for (const b of buckets) rows.push([b.start, id, csvCell(name), ...csvValues(b)].join(','));
  };
  if (a.total) add('', 'All sites', a.total);
  for (const s of a.sites) add(s.siteId, s.siteName, s.buckets);
  return `${rows.join('\r\n')}\r\n`;
}
