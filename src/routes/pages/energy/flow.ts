// Today's balance as a flow diagram for the energy page: where production went (consumption,
// battery, grid) and where consumption came from. Counters say how much went in and out of each
// node, not along which path, so the paths are split as Home Assistant's energy card splits them
// (docs/energy.md): production feeds the export and the battery first, the grid charges the
// battery with what production did not. SVG geometry with classes only (the CSP allows no style).
import type { EnergyCounterRole } from '../../../domain/energy-roles.js';
import type { Balance } from '../../../services/energy-balance.js';
import { format } from '../format.js';

export type FlowNode = 'production' | 'grid' | 'battery' | 'consumption';

export interface Flow {
  from: FlowNode;
  to: FlowNode;
  kwh: number;
}

const clamp = (v: number) => Math.max(0, Math.round(v * 1e6) / 1e6);

/** The nodes a site's measured counter roles give it; consumption is there when it is known (measured or derived). */
export function flowNodes(measured: readonly EnergyCounterRole[], consumptionKnown: boolean): FlowNode[] {
  const nodes: FlowNode[] = [];
  if (measured.includes('production')) nodes.push('production');
  if (measured.includes('grid_import') || measured.includes('grid_export')) nodes.push('grid');
  if (measured.includes('battery_charge') || measured.includes('battery_discharge')) nodes.push('battery');
  if (consumptionKnown) nodes.push('consumption');
  return nodes;
}

/**
 * The day's flows between the site's nodes. A role the site does not measure counts as 0 (no
 * battery, no PV); a measured one without data makes the whole split unknown (null).
 */
export function energyFlows(b: Balance, measured: readonly EnergyCounterRole[]): Flow[] | null {
  const roles: [EnergyCounterRole, keyof Balance][] = [
    ['production', 'production'],
    ['grid_import', 'gridImport'],
    ['grid_export', 'gridExport'],
    ['battery_charge', 'batteryCharge'],
    ['battery_discharge', 'batteryDischarge'],
  ];
  const need = roles.map(([role, field]) => (measured.includes(role) ? b[field] : 0));
  if (need.some((v) => v === null)) return null;
  const [produced, imported, exported, charged, discharged] = need as number[];
  const toGrid = Math.min(exported, produced);
  const toBattery = Math.min(charged, produced - toGrid);
  const batteryToGrid = exported - toGrid;
  const flows: Flow[] = [
    { from: 'production', to: 'consumption', kwh: clamp(produced - toGrid - toBattery) },
    { from: 'production', to: 'battery', kwh: clamp(toBattery) },
    { from: 'production', to: 'grid', kwh: clamp(toGrid) },
    { from: 'grid', to: 'consumption', kwh: clamp(imported - (charged - toBattery)) },
    { from: 'grid', to: 'battery', kwh: clamp(charged - toBattery) },
    { from: 'battery', to: 'consumption', kwh: clamp(discharged - batteryToGrid) },
    { from: 'battery', to: 'grid', kwh: clamp(batteryToGrid) },
  ];
  const nodes = new Set(flowNodes(measured, true));
  return flows.filter((f) => nodes.has(f.from) && nodes.has(f.to));
}

export const NODE_NAMES: Record<FlowNode, string> = {
  production: 'Production',
  grid: 'Grid',
  battery: 'Battery',
  consumption: 'Consumption',
};

/** Node centres in a 320-wide viewBox: production left, consumption right, grid above, battery below. */
const AT: Record<FlowNode, [number, number]> = {
  production: [48, 110],
  consumption: [272, 110],
  grid: [160, 38],
  battery: [160, 182],
};
const CENTRE: [number, number] = [160, 110];
const RADIUS = 34;
/** The arrowhead's length, in the viewBox's units (markerUnits userSpaceOnUse: the same on every line). */
const HEAD = 12;
/** Stroke widths: the day's largest flow gets MAX_STROKE, any other flow at least MIN_STROKE. */
const MAX_STROKE = 8;
const MIN_STROKE = 1.5;

const kwhText = (v: number) => `${format.number(Math.abs(v) >= 100 ? Math.round(v) : v)} kWh`;
const round = (v: number) => Math.round(v * 10) / 10;

/**
 * The diagram's nodes, arrows (shortened to the circles' rims) and their labels, and the same as
 * sentences. `metered` is the consumption the site's consumption meters measure, when it has any:
 * where it falls short of what flows in, the diagram says that the rest is load they do not meter.
 */
export function flowDiagram(flows: Flow[], nodes: FlowNode[], metered: number | null = null) {
  const into = flows.filter((f) => f.to === 'consumption').reduce((sum, f) => sum + f.kwh, 0);
  const unmetered =
    metered !== null && Math.abs(into - metered) > Math.max(0.01, into * 0.01)
      ? `The flows into consumption add up to ${kwhText(into)}; the consumption meters measure ${kwhText(metered)}, so the rest is load they do not meter.`
      : null;
  const largest = Math.max(0, ...flows.map((f) => f.kwh));
  const arrows = flows
    .filter((f) => f.kwh > 0)
    .map((f) => {
      const [x1, y1] = AT[f.from];
      const [x2, y2] = AT[f.to];
      const len = Math.hypot(x2 - x1, y2 - y1);
      const [ux, uy] = [(x2 - x1) / len, (y2 - y1) / len];
      // Grid ↔ battery runs both ways on one line: each direction keeps to its own side.
      const side = f.from === 'battery' && f.to === 'grid' ? 7 : f.from === 'grid' && f.to === 'battery' ? -7 : 0;
      // The label sits beside the line's middle, on the side away from the diagram's centre.
      const [mx, my] = [(x1 + x2) / 2 + side, (y1 + y2) / 2];
      let [nx, ny] = [-uy, ux];
      const away =
        (mx + nx - CENTRE[0]) ** 2 +
        (my + ny - CENTRE[1]) ** 2 -
        ((mx - nx - CENTRE[0]) ** 2 + (my - ny - CENTRE[1]) ** 2);
      if (away < 0 || (away === 0 && ny > 0)) [nx, ny] = [-nx, -ny];
      return {
        cls: `flow e-${f.from === 'grid' ? 'gridImport' : f.from === 'battery' ? 'batteryDischarge' : 'production'}`,
        x1: round(x1 + ux * (RADIUS + 3) + side),
        y1: round(y1 + uy * (RADIUS + 3)),
        x2: round(x2 - ux * (RADIUS + 3 + HEAD) + side),
        y2: round(y2 - uy * (RADIUS + 3 + HEAD)),
        width: round(largest > 0 ? Math.max(MIN_STROKE, (f.kwh / largest) * MAX_STROKE) : MIN_STROKE),
        // Text runs horizontally: beside a slanted line it moves a further half-label sideways.
        labelX: round(mx + nx * (side ? 30 : 14) + Math.sign(Math.round(nx * 10)) * (side ? 0 : 22)),
        labelY: round(my + ny * 14 + 3),
        label: kwhText(f.kwh),
      };
    });
  // Without a battery the lower row is empty: the drawing ends under the side nodes.
  const height = nodes.includes('battery') ? 220 : 150;
  return {
    unmetered,
    height,
    nodes: nodes.map((n) => ({ id: n, name: NODE_NAMES[n], cx: AT[n][0], cy: AT[n][1], r: RADIUS })),
    arrows,
    // Flows of 0 kWh are left out of the drawing but not of the sentences: "none" is an answer.
    sentences: flows.map((f) => `${NODE_NAMES[f.from]} to ${NODE_NAMES[f.to].toLowerCase()}: ${kwhText(f.kwh)}`),
  };
}
