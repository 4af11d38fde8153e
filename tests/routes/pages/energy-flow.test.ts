import { describe, expect, it } from 'vitest';
import { energyFlows, flowDiagram, flowNodes } from '../../../src/routes/pages/energy/flow.js';
import type { Balance } from '../../../src/services/energy-balance.js';

const balance = (b: Partial<Balance>): Balance => ({
  production: null,
  consumption: null,
  gridImport: null,
  gridExport: null,
  batteryCharge: null,
  batteryDischarge: null,
  selfConsumption: null,
  selfSufficiency: null,
  ...b,
});
const ALL = ['production', 'grid_import', 'grid_export', 'battery_charge', 'battery_discharge'] as const;
const flowOf = (flows: ReturnType<typeof energyFlows>, from: string, to: string) =>
  flows!.find((f) => f.from === from && f.to === to)?.kwh;

describe('energyFlows', () => {
  it('When a PV site with a battery exports and imports, then production feeds export and battery first and the flows into consumption add up to it', () => {
    const b = balance({ production: 100, gridImport: 20, gridExport: 30, batteryCharge: 40, batteryDischarge: 25 });
    const flows = energyFlows(b, ALL)!;
    expect(flowOf(flows, 'production', 'grid')).toBe(30);
    expect(flowOf(flows, 'production', 'battery')).toBe(40);
    expect(flowOf(flows, 'production', 'consumption')).toBe(30);
    expect(flowOf(flows, 'grid', 'consumption')).toBe(20);
    expect(flowOf(flows, 'grid', 'battery')).toBe(0);
    expect(flowOf(flows, 'battery', 'consumption')).toBe(25);
    expect(flowOf(flows, 'battery', 'grid')).toBe(0);
    // consumption = production + import − export + discharge − charge = 75
    const intoConsumption = flows.filter((f) => f.to === 'consumption').reduce((s, f) => s + f.kwh, 0);
    expect(intoConsumption).toBe(75);
  });

  it('When the battery charges beyond what production left and exports at night, then the grid charges it and the battery feeds the grid', () => {
    const flows = energyFlows(
      balance({ production: 10, gridImport: 50, gridExport: 15, batteryCharge: 30, batteryDischarge: 20 }),
      ALL,
    )!;
    expect(flowOf(flows, 'production', 'grid')).toBe(10);
    expect(flowOf(flows, 'production', 'battery')).toBe(0);
    expect(flowOf(flows, 'grid', 'battery')).toBe(30);
    expect(flowOf(flows, 'grid', 'consumption')).toBe(20);
    expect(flowOf(flows, 'battery', 'grid')).toBe(5);
    expect(flowOf(flows, 'battery', 'consumption')).toBe(15);
  });

  it('When a site has no battery, then no flow touches one; when a measured figure has no data, then the split is unknown', () => {
    const measured = ['production', 'grid_import', 'grid_export'] as const;
    const flows = energyFlows(balance({ production: 8, gridImport: 2, gridExport: 3 }), measured)!;
    expect(flows.some((f) => f.from === 'battery' || f.to === 'battery')).toBe(false);
    expect(flowOf(flows, 'production', 'consumption')).toBe(5);
    expect(energyFlows(balance({ production: 8, gridImport: null, gridExport: 3 }), measured)).toBeNull();
    expect(flowNodes(measured, true)).toEqual(['production', 'grid', 'consumption']);
  });

  it('When the diagram is drawn, then zero flows have no arrow but keep their sentence, and the largest arrow is the thickest', () => {
    const flows = energyFlows(balance({ production: 100, gridImport: 5, gridExport: 60 }), [
      'production',
      'grid_import',
      'grid_export',
    ])!;
    const d = flowDiagram(flows, flowNodes(['production', 'grid_import', 'grid_export'], true));
    expect(d.nodes.map((n) => n.name)).toEqual(['Production', 'Grid', 'Consumption']);
    expect(d.sentences).toEqual([
      'Production to consumption: 40 kWh',
      'Production to grid: 60 kWh',
      'Grid to consumption: 5 kWh',
    ]);
    expect(d.arrows.map((a) => a.width)).toEqual([expect.any(Number), 8, 1.5]);
  });

  it('When consumption meters measure less than flows in, then the diagram says the rest is load they do not meter', () => {
    const measured = ['production', 'consumption', 'grid_import', 'grid_export'] as const;
    const flows = energyFlows(balance({ production: 80, consumption: 20, gridImport: 1000, gridExport: 0 }), measured)!;
    const nodes = flowNodes(measured, true);
    expect(flowDiagram(flows, nodes, 20).unmetered).toBe(
      'The flows into consumption add up to 1,080 kWh; the consumption meters measure 20 kWh, so the rest is load they do not meter.',
    );
    expect(flowDiagram(flows, nodes, 1080).unmetered).toBeNull();
    expect(flowDiagram(flows, nodes).unmetered).toBeNull();
  });
});
