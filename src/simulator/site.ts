// A site's devices stepped together, so that what they report adds up: inverters convert what the
// site's PV arrays produce, and the grid meter sees on-site load minus production minus battery
// discharge (docs/operations.md, "The demo simulator").

import type { SiteLocation } from './common.js';
import type { DeviceType } from '../domain/device-types.js';
import { createDeviceModel, type DeviceModel } from './models.js';
import type { SiteFlows } from './models-load.js';

export interface SiteDevice {
  readonly id: string;
  readonly type: DeviceType;
  readonly ratedKw: number;
  /** Device identity for randomness, as createDeviceModel takes it. */
  readonly seed: number | string;
}

export interface SiteModel {
  /** Every device's readings at `ts`, by device id; same stepping rules as a device model. */
  step(ts: number): Map<string, Record<string, number>>;
}

const GENERATING: ReadonlySet<DeviceType> = new Set(['wind_turbine', 'generator']);
const MEASURED_LOADS: ReadonlySet<DeviceType> = new Set(['ev_charger', 'heat_pump']);

export function createSiteModel(site: SiteLocation, devices: readonly SiteDevice[]): SiteModel {
  const of = (type: DeviceType) => devices.filter((d) => d.type === type);
  const pvKw = of('pv_array').reduce((sum, d) => sum + d.ratedKw, 0);
  const inverterKw = of('inverter').reduce((sum, d) => sum + d.ratedKw, 0);
  // With arrays on site, inverters convert their output (shared by AC rating) rather than panels of their own.
  let pvDcKw = 0;
  const fed = pvKw > 0 && inverterKw > 0;
  // Backup gensets do not make a site a power plant.
  const generationKw =
    (fed ? inverterKw : pvKw + inverterKw) +
    devices.filter((d) => d.type === 'wind_turbine').reduce((sum, d) => sum + d.ratedKw, 0);
  let flows: SiteFlows = { productionKw: 0, storageKw: 0, loadKw: 0 };

  const models = new Map<string, DeviceModel>();
  const meters: [string, DeviceModel][] = [];
  for (const d of devices) {
    const options = { type: d.type, seed: d.seed, site, ratedKw: d.ratedKw };
    if (d.type === 'meter')
      meters.push([d.id, createDeviceModel(options, { site: { generationKw, flows: () => flows } })]);
    else if (d.type === 'inverter' && fed)
      models.set(d.id, createDeviceModel(options, { dc: () => (pvDcKw * d.ratedKw) / inverterKw }));
    else models.set(d.id, createDeviceModel(options));
  }
  // Arrays first: the inverters read what they produced at this step.
  const order = [...devices].filter((d) => d.type !== 'meter').sort((a, b) => rank(a.type) - rank(b.type));

  return {
    step(ts) {
      const out = new Map<string, Record<string, number>>();
      const next: SiteFlows = { productionKw: 0, storageKw: 0, loadKw: 0 };
      pvDcKw = 0;
      for (const d of order) {
        const r: Record<string, number> = models.get(d.id)!.step(ts);
        out.set(d.id, r);
        if (d.type === 'pv_array') {
          pvDcKw += r.power;
          if (!fed) next.productionKw += r.power;
        } else if (d.type === 'inverter' || GENERATING.has(d.type)) next.productionKw += r.power;
        else if (d.type === 'battery') next.storageKw += r.power;
        else if (MEASURED_LOADS.has(d.type)) next.loadKw += r.power;
      }
      flows = next;
      for (const [id, meter] of meters) out.set(id, meter.step(ts));
      return out;
    },
  };
}

const rank = (type: DeviceType) => (type === 'pv_array' ? 0 : type === 'inverter' ? 1 : 2);
