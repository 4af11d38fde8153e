import Type from 'typebox';
import { ENERGY_COUNTER_ROLES } from '../domain/energy-roles.js';
import { Id, Nullable, Timestamp } from './common.js';

export const EnergyQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 64,
        description: 'Window start (ISO 8601); default: 30 days (1d), 12 weeks (1w) or 365 days (1mo) before `to`',
      }),
    ),
    to: Type.Optional(
      Type.String({ format: 'date-time', maxLength: 64, description: 'Window end (ISO 8601); default: now' }),
    ),
    interval: Type.Optional(
      Type.Enum(['1d', '1w', '1mo'], { default: '1d', description: 'Calendar days, weeks (from Monday) or months' }),
    ),
    tz: Type.Optional(
      Type.String({
        maxLength: 64,
        description: "IANA zone of the calendar; default: the site's (fleet: the sites' shared zone, else UTC)",
      }),
    ),
    format: Type.Optional(
      Type.Enum(['json', 'csv'], { description: 'csv: the same data as text/csv (or send Accept: text/csv)' }),
    ),
  },
  { additionalProperties: false },
);

const kWh = (description: string) => Nullable(Type.Number({ description: `${description} (kWh); null: no data` }));
const share = (description: string) =>
  Nullable(
    Type.Number({ minimum: 0, maximum: 1, description: `${description}; null where the data does not allow it` }),
  );

export const EnergyBucketSchema = Type.Object({
  start: Timestamp,
  production: kWh('Energy produced'),
  consumption: kWh('Energy consumed on site, measured or derived (consumptionSource)'),
  gridImport: kWh('Energy imported from the grid'),
  gridExport: kWh('Energy exported to the grid'),
  batteryCharge: kWh('Energy into batteries'),
  batteryDischarge: kWh('Energy out of batteries'),
  selfConsumption: share('Share of production used on site: (production − export) / production'),
  selfSufficiency: share('Share of consumption covered without the grid: 1 − import / consumption'),
});

const RoleList = Type.Array(Type.Enum([...ENERGY_COUNTER_ROLES]), {
  description: 'Counter roles the site has metrics for',
});
const ConsumptionSource = Nullable(
  Type.Enum(['measured', 'derived'], {
    description:
      'measured: consumption meters; derived: production + import − export + discharge − charge; null: unknown',
  }),
);

export const SiteEnergyItem = Type.Object({
  siteId: Id,
  siteName: Type.String(),
  measured: RoleList,
  consumptionSource: ConsumptionSource,
  buckets: Type.Array(EnergyBucketSchema),
});

const head = {
  from: Timestamp,
  to: Timestamp,
  interval: Type.String({ description: 'Interval used' }),
  tz: Type.String(),
};

export const SiteEnergySchema = Type.Object({ ...head, ...SiteEnergyItem.properties });

export const FleetEnergySchema = Type.Object({
  ...head,
  total: Type.Array(EnergyBucketSchema, {
    description: 'Per bucket, the sum over the sites that measure each energy; ratios weighted by their base',
  }),
  sites: Type.Array(SiteEnergyItem, { description: 'The sites you can see that have energy metrics, by name' }),
});

const csv = Type.String({ description: 'One row per site and bucket (site "All sites" for the fleet total)' });
export const siteEnergyResponse = {
  description: "The site's energy balance per bucket",
  content: { 'application/json': { schema: SiteEnergySchema }, 'text/csv': { schema: csv } },
};
export const fleetEnergyResponse = {
  description: 'The energy balance of your sites per bucket',
  content: { 'application/json': { schema: FleetEnergySchema }, 'text/csv': { schema: csv } },
};
