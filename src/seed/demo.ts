import type { FastifyBaseLogger } from 'fastify';
import type { Repositories } from '../db/repositories/index.js';
import { defaultMetricsFor, type DeviceType } from '../domain/device-types.js';
import { hashPassword } from '../services/passwords.js';
import { seedDemoAlarmRules } from './demo-alarms.js';

interface DemoDevice {
  name: string;
  type: DeviceType;
  manufacturer: string;
  model: string;
  ratedKw: number;
  /** False: its metrics get no energy roles (a PV field whose inverter already counts its output). */
  inBalance: boolean;
}

export interface DemoSite {
  name: string;
  description: string;
  latitude: number;
  longitude: number;
  timezone: string;
  devices: DemoDevice[];
}

const d = (
  name: string,
  type: DeviceType,
  manufacturer: string,
  model: string,
  ratedKw: number,
  inBalance = true,
): DemoDevice => ({ name, type, manufacturer, model, ratedKw, inBalance });

export const DEMO_SITES: DemoSite[] = [
  {
    name: 'Rotterdam Harbour Microgrid',
    description:
      'Quay-side microgrid: a harbour battery, warehouse rooftop PV and a fleet charger behind one grid meter.',
    latitude: 51.9036,
    longitude: 4.4187,
    timezone: 'Europe/Amsterdam',
    devices: [
      d('Harbour Battery', 'battery', 'Tesla', 'Megapack 2', 1900),
      d('Warehouse A Rooftop PV', 'pv_array', 'LONGi', 'Hi-MO 6', 450, false),
      d('Rooftop PV Inverter', 'inverter', 'SMA', 'Sunny Highpower PEAK3', 400),
      d('Grid Meter', 'meter', 'Landis+Gyr', 'E650', 2500),
      d('Fleet Charger 1', 'ev_charger', 'ABB', 'Terra 184', 180),
    ],
  },
  {
    name: 'Alpine Wind Park',
    description: 'Four turbines on a ridge above the Inn valley, feeding the grid through one substation meter.',
    latitude: 47.2692,
    longitude: 11.4041,
    timezone: 'Europe/Vienna',
    devices: [
      d('Turbine WTG-01', 'wind_turbine', 'Enercon', 'E-82 E4', 3000),
      d('Turbine WTG-02', 'wind_turbine', 'Enercon', 'E-82 E4', 3000),
      d('Turbine WTG-03', 'wind_turbine', 'Enercon', 'E-82 E4', 3000),
      d('Turbine WTG-04', 'wind_turbine', 'Vestas', 'V90-2.0', 2000),
      d('Substation Meter', 'meter', 'Siemens', 'SICAM P855', 11000),
    ],
  },
  {
    name: 'Sevilla Solar Farm',
    description: 'Ground-mounted PV with two central inverters, a storage block and an export meter.',
    latitude: 37.3891,
    longitude: -5.9845,
    timezone: 'Europe/Madrid',
    devices: [
      d('PV Field North', 'pv_array', 'JinkoSolar', 'Tiger Neo', 5000, false),
      d('PV Field South', 'pv_array', 'JinkoSolar', 'Tiger Neo', 5000, false),
      d('Central Inverter 1', 'inverter', 'Huawei', 'SUN2000-330KTL', 5000),
      d('Central Inverter 2', 'inverter', 'Huawei', 'SUN2000-330KTL', 5000),
      d('Storage Block', 'battery', 'BYD', 'MC Cube', 2000),
      d('Export Meter', 'meter', 'Schneider Electric', 'ION9000', 10000),
    ],
  },
  {
    name: 'Berlin Office Battery',
    description: 'Office building with behind-the-meter storage, a heat pump and a garage charger.',
    latitude: 52.52,
    longitude: 13.405,
    timezone: 'Europe/Berlin',
    devices: [
      d('Office Battery', 'battery', 'sonnen', 'sonnenBatterie 10 performance', 50),
      d('Building Meter', 'meter', 'EMH', 'eHZ', 120),
      d('Heat Pump', 'heat_pump', 'Viessmann', 'Vitocal 250-A', 16),
      d('Garage Charger', 'ev_charger', 'Wallbox', 'Commander 2', 22),
    ],
  },
];

export const DEMO_USERS = [
  {
    email: 'admin@example.com',
    name: 'Ada Admin',
    isAdmin: true,
    sites: [] as { site: string; role: 'viewer' | 'technician' }[],
  },
  {
    email: 'tech@example.com',
    name: 'Theo Technician',
    isAdmin: false,
    sites: [
      { site: 'Rotterdam Harbour Microgrid', role: 'technician' as const },
      { site: 'Alpine Wind Park', role: 'technician' as const },
    ],
  },
  {
    email: 'viewer@example.com',
    name: 'Vera Viewer',
    isAdmin: false,
    sites: [
      { site: 'Rotterdam Harbour Microgrid', role: 'viewer' as const },
      { site: 'Sevilla Solar Farm', role: 'viewer' as const },
    ],
  },
];

/** Seeds the demo fleet and accounts into an empty database. Returns false when there was data already. */
export async function seedDemo(
  repos: Repositories,
  password: string,
  log?: Pick<FastifyBaseLogger, 'info'>,
): Promise<boolean> {
  if ((await repos.users.count()) > 0) return false;
  const passwordHash = await hashPassword(password);
  const siteIds = new Map<string, string>();
  for (const s of DEMO_SITES) {
    const site = await repos.sites.create(
      { name: s.name, description: s.description, latitude: s.latitude, longitude: s.longitude, timezone: s.timezone },
      null,
    );
    siteIds.set(s.name, site.id);
    for (const dev of s.devices) {
      await repos.devices.create(
        site.id,
        {
          name: dev.name,
          type: dev.type,
          manufacturer: dev.manufacturer,
          model: dev.model,
          serialNumber: null,
          ratedPowerKw: dev.ratedKw,
          simulated: true,
        },
        // The catalogue's energy roles, but an inverter's output counts only once (docs/energy.md).
        defaultMetricsFor(dev.type).map((m) => (dev.inBalance ? m : { ...m, energyRole: null })),
        null,
      );
    }
  }
  await seedDemoAlarmRules(repos, siteIds);
  for (const u of DEMO_USERS) {
    const user = await repos.users.create({ email: u.email, name: u.name, passwordHash, isAdmin: u.isAdmin }, null);
    for (const m of u.sites) await repos.sites.setMember(siteIds.get(m.site)!, user.id, m.role, null);
  }
  log?.info({ sites: DEMO_SITES.length, users: DEMO_USERS.length }, 'demo data seeded');
  return true;
}
