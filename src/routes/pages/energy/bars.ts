// Stacked energy bars as SVG geometry for the energy page's templates: supply above the axis
// (production, grid import, battery discharge), use below it (consumption, grid export, battery
// charge). Bars carry classes, not colours, so app.css colours them in light and dark mode; the
// strict CSP allows no style attributes. Numbers and dates for the page's text come with them.
import type { EnergyBucket } from '../../../services/energy.js';
import { iso } from '../../../services/views.js';
import { offsetAt } from '../../../timeseries/zone.js';
import { format } from '../format.js';

type Field = 'production' | 'gridImport' | 'batteryDischarge' | 'consumption' | 'gridExport' | 'batteryCharge';

export const SUPPLY: [Field, string][] = [
  ['production', 'Production'],
  ['gridImport', 'Grid import'],
  ['batteryDischarge', 'Battery discharge'],
];
export const USE: [Field, string][] = [
  ['consumption', 'Consumption'],
  ['gridExport', 'Grid export'],
  ['batteryCharge', 'Battery charge'],
];

/** Units of the viewBox a bucket takes; the bar is 80 % of it. */
const SLOT = 10;
/** The viewBox's height: bars are scaled so the tallest supply and use stacks fill it. */
const HEIGHT = 100;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `7 Dec` (days) or `Dec 2026` (months) of a bucket start, local to the zone. */
export function bucketLabel(start: string, tz: string, monthly: boolean): string {
  const ms = Date.parse(start);
  const local = iso(ms + offsetAt(ms, tz));
  const month = MONTHS[Number(local.slice(5, 7)) - 1];
  return monthly ? `${month} ${local.slice(0, 4)}` : `${Number(local.slice(8, 10))} ${month}`;
}

const stack = (b: EnergyBucket, fields: [Field, string][]) => fields.reduce((sum, [f]) => sum + (b[f] ?? 0), 0);

export function energyBars(buckets: EnergyBucket[], tz: string, monthly: boolean) {
  const up = Math.max(0, ...buckets.map((b) => stack(b, SUPPLY)));
  const down = Math.max(0, ...buckets.map((b) => stack(b, USE)));
  const scale = up + down > 0 ? HEIGHT / (up + down) : 0;
  const axis = up * scale;
  const rects: { cls: string; x: number; y: number; width: number; height: number; title: string }[] = [];
  buckets.forEach((b, i) => {
    const label = bucketLabel(b.start, tz, monthly);
    let top = axis;
    for (const [f, name] of SUPPLY) {
      const v = b[f];
      if (v === null || v <= 0) continue;
      top -= v * scale;
      rects.push({
        cls: `e-${f}`,
        x: i * SLOT + 1,
        y: top,
        width: SLOT - 2,
        height: v * scale,
        title: `${label}: ${name} ${format.number(v)} kWh`,
      });
    }
    let bottom = axis;
    for (const [f, name] of USE) {
      const v = b[f];
      if (v === null || v <= 0) continue;
      rects.push({
        cls: `e-${f}`,
        x: i * SLOT + 1,
        y: bottom,
        width: SLOT - 2,
        height: v * scale,
        title: `${label}: ${name} ${format.number(v)} kWh`,
      });
      bottom += v * scale;
    }
  });
  return {
    width: buckets.length * SLOT,
    height: HEIGHT,
    axis,
    rects,
    maxSupply: up,
    maxUse: down,
    rows: buckets.map((b) => ({ label: bucketLabel(b.start, tz, monthly), ...b })),
    empty: up + down === 0,
  };
}
