import { describe, expect, it } from 'vitest';
import { balanceOf, consumptionSource, sumBalances, sumKnown } from '../../src/services/energy-balance.js';

describe('balanceOf', () => {
  it('When a site has a battery and no consumption meter, then consumption is production + import − export + discharge − charge', () => {
    const b = balanceOf(
      { production: 10, grid_import: 4, grid_export: 2, battery_discharge: 3, battery_charge: 5 },
      'derived',
    );
    expect(b.consumption).toBe(10);
    expect(b.selfConsumption).toBe(0.8); // (10 − 2) / 10
    expect(b.selfSufficiency).toBe(0.6); // 1 − 4 / 10
  });

  it('When a measured term has no data, then derived consumption and self-sufficiency are null, not a smaller number', () => {
    const b = balanceOf({ production: 10, grid_import: 4, grid_export: 2, battery_charge: null }, 'derived');
    expect(b).toMatchObject({ consumption: null, selfSufficiency: null, selfConsumption: 0.8, batteryCharge: null });
  });

  it('When export exceeds production or import exceeds consumption, then the ratio is 0; with no production at night it is null', () => {
    expect(balanceOf({ production: 1, grid_export: 3, grid_import: 0 }, 'derived').selfConsumption).toBe(0);
    expect(balanceOf({ consumption: 2, grid_import: 5 }, 'measured').selfSufficiency).toBe(0);
    expect(balanceOf({ production: 0, grid_export: 0, grid_import: 2 }, 'derived').selfConsumption).toBeNull();
  });

  it('When a wind park exports what no counter measures, then derived consumption is unknown, not negative', () => {
    // Turbines with power gauges only: the export is not matched by any measured production.
    const b = balanceOf({ grid_import: 2, grid_export: 900 }, 'derived');
    expect(b).toMatchObject({ consumption: null, selfSufficiency: null, gridExport: 900 });
    // Float noise around zero is still zero.
    expect(
      balanceOf({ production: 0.3, grid_import: 0, grid_export: 0.30000000000000004 }, 'derived').consumption,
    ).toBe(0);
  });

  it('When the site has neither a consumption meter nor both grid registers, then consumption is unknown', () => {
    expect(consumptionSource(new Set(['production', 'grid_import']))).toBeNull();
    expect(consumptionSource(new Set(['grid_import', 'grid_export']))).toBe('derived');
    expect(consumptionSource(new Set(['consumption', 'grid_import', 'grid_export']))).toBe('measured');
    expect(balanceOf({ production: 5, grid_import: 1 }, null)).toMatchObject({
      consumption: null,
      selfSufficiency: null,
    });
  });
});

describe('sumBalances and sumKnown', () => {
  const site = (production: number | null, consumption: number | null, gridImport: number | null) => ({
    balance: balanceOf({ production, consumption, grid_import: gridImport, grid_export: 0 }, 'measured'),
    measures: (f: string) => ['production', 'consumption', 'gridImport', 'gridExport'].includes(f),
  });

  it('When one site has no data, then the strict sum is null and the lenient one sums the others and says so', () => {
    const parts = [site(10, 20, 5), site(null, 10, 10)];
    expect(sumBalances(parts)).toMatchObject({ production: null, consumption: 30, gridImport: 15 });
    expect(sumKnown(parts).production).toEqual({ value: 10, known: 1, measuring: 2 });
  });

  it('When ratios are summed, then each is weighted by its base over the sites where it is known', () => {
    // Self-sufficiency 0.75 over 20 kWh and 0 over 10 kWh: 15 / 30 = 0.5.
    expect(sumBalances([site(10, 20, 5), site(0, 10, 10)]).selfSufficiency).toBe(0.5);
  });
});
