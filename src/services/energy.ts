// A site's energy balance per calendar bucket, and the fleet's (docs/energy.md). Energies are the
// `delta` of the metrics with a counter role, read through the time-series machinery (daily
// roll-ups for the site's own days), so counter resets, DST days and gaps are handled there.
import type { EnergyMetric } from '../db/repositories/fleet.js';
import type { Repositories } from '../db/repositories/index.js';
import { isEnergyCounterRole, type EnergyCounterRole } from '../domain/energy-roles.js';
import { errors, seriesTooLarge } from '../errors.js';
import { DAY_MS } from '../time.js';
import { bucketEnd, bucketStartOf } from '../timeseries/buckets.js';
import {
  balanceOf,
  consumptionSource,
  sumBalances,
  sumKnown,
  type Balance,
  type ConsumptionSource,
  type RoleValues,
} from './energy-balance.js';
import { powerNow, sumPower, type PowerNow } from './energy-power.js';
import { requireSite, type Actor } from './policy.js';
import { MAX_SERIES_CELLS, resolveWindow, type TimeseriesService, type Window } from './timeseries.js';
import { iso } from './views.js';

export type EnergyInterval = '1d' | '1w' | '1mo';
export interface EnergyQuery {
  from?: string;
  to?: string;
  interval?: EnergyInterval;
  tz?: string;
}

/** Ten years of days (resolveWindow refuses longer windows anyway). */
const MAX_BUCKETS = 3700;
/** The window when `from` is left out: a month of days, twelve weeks, a year of months. */
const DEFAULT_SPAN_MS: Record<EnergyInterval, number> = { '1d': 30 * DAY_MS, '1w': 84 * DAY_MS, '1mo': 365 * DAY_MS };

export interface EnergyBucket extends Balance {
  start: string;
}

export interface SiteEnergy {
  siteId: string;
  siteName: string;
  /** The counter roles the site has metrics for. */
  measured: EnergyCounterRole[];
  consumptionSource: ConsumptionSource;
  buckets: EnergyBucket[];
}

export interface EnergyHead {
  from: string;
  to: string;
  interval: EnergyInterval;
  tz: string;
}

/** The answer's field for each counter role. */
export const ROLE_FIELD = {
  production: 'production',
  consumption: 'consumption',
  grid_import: 'gridImport',
  grid_export: 'gridExport',
  battery_charge: 'batteryCharge',
  battery_discharge: 'batteryDischarge',
} as const satisfies Record<EnergyCounterRole, keyof Balance>;

/** Whether a site measures a balance field: worked out once per site, not once per bucket. */
function measuresOf(s: SiteEnergy): (f: keyof Balance) => boolean {
  const fields = new Set<keyof Balance>(s.measured.map((role) => ROLE_FIELD[role]));
  if (s.consumptionSource !== null) fields.add('consumption');
  return (f) => fields.has(f);
}

/** The sites' i-th buckets with what each site measures, as sumBalances and sumKnown take them. */
const partsOf = (sites: SiteEnergy[], i: number, measures = sites.map(measuresOf)) =>
  sites.map((s, k) => ({ balance: s.buckets[i], measures: measures[k] }));

/** The sites' sum in each of their buckets (energy-balance.ts, sumBalances). */
function totalsOf(sites: SiteEnergy[], starts: readonly number[]): EnergyBucket[] {
  const measures = sites.map(measuresOf);
  return starts.map((start, i) => ({ start: iso(start), ...sumBalances(partsOf(sites, i, measures)) }));
}

export function energyService(repos: Repositories, timeseries: TimeseriesService) {
  function windowOf(q: EnergyQuery, defaultTz: string): Window {
    const interval = q.interval ?? '1d';
    const to = q.to ?? iso(Date.now());
    const from = q.from ?? iso(Date.parse(to) - DEFAULT_SPAN_MS[interval]);
    return resolveWindow({ from, to, interval, tz: q.tz, maxPoints: MAX_BUCKETS }, defaultTz);
  }

  const headOf = (w: Window): EnergyHead => ({
    from: iso(w.from),
    to: iso(w.to),
    interval: w.interval as EnergyInterval,
    tz: w.tz,
  });

  /** One site's buckets from its counter-role metrics: a role's energy is null where any of its metrics has none. */
  async function siteEnergy(site: { id: string; name: string }, metrics: EnergyMetric[], w: Window) {
    const counters = metrics.filter((m) => isEnergyCounterRole(m.energyRole));
    const byRole = new Map<EnergyCounterRole, (number | null)[]>();
    for (const m of counters) {
      const role = m.energyRole as EnergyCounterRole;
      const values = await timeseries.bucketValues(m.pk, w, 'delta');
      const sum = byRole.get(role);
      byRole.set(role, sum ? sum.map((s, i) => (s === null || values[i] === null ? null : s + values[i]!)) : values);
    }
    const measured = new Set(byRole.keys());
    const source = consumptionSource(measured);
    const buckets = w.starts.map((start, i): EnergyBucket => {
      const v: RoleValues = {};
      for (const [role, values] of byRole) v[role] = values[i];
      return { start: iso(start), ...balanceOf(v, source) };
    });
    const energy: SiteEnergy = {
      siteId: site.id,
      siteName: site.name,
      measured: [...measured],
      consumptionSource: source,
      buckets,
    };
    return energy;
  }

  function checkSize(metricCount: number, w: Window) {
    if (metricCount * w.starts.length > MAX_SERIES_CELLS)
      throw seriesTooLarge(metricCount, w.starts.length, MAX_SERIES_CELLS);
  }

  return {
    async forSite(actor: Actor, siteId: string, q: EnergyQuery): Promise<EnergyHead & SiteEnergy> {
      await requireSite(actor, siteId, repos.sites.exists, () => new errors.SITE_NOT_FOUND());
      const site = (await repos.sites.findById(siteId))!;
      const w = windowOf(q, site.timezone);
      const metrics = await repos.fleet.energyMetrics([siteId]);
      checkSize(metrics.length, w);
      return { ...headOf(w), ...(await siteEnergy(site, metrics, w)) };
    },

    /**
     * The site's energy page: its last 30 local days and 12 months, ending with today and this
     * month (local to the site).
     */
    async sitePage(actor: Actor, siteId: string, now = Date.now()) {
      await requireSite(actor, siteId, repos.sites.exists, () => new errors.SITE_NOT_FOUND());
      const site = (await repos.sites.findById(siteId))!;
      const tz = site.timezone;
      const back = (start: number, interval: EnergyInterval, n: number) => {
        for (let i = 0; i < n; i++) start = bucketStartOf(start - 1, interval, tz);
        return start;
      };
      const today = bucketStartOf(now, '1d', tz);
      const month = bucketStartOf(now, '1mo', tz);
      const metrics = await repos.fleet.energyMetrics([siteId]);
      const read = async (from: number, to: number, interval: EnergyInterval) =>
        siteEnergy(site, metrics, windowOf({ from: iso(from), to: iso(to), interval }, tz));
      const daily = await read(back(today, '1d', 29), bucketEnd(today, '1d', tz), '1d');
      const monthly = await read(back(month, '1mo', 11), bucketEnd(month, '1mo', tz), '1mo');
      return {
        site: { id: site.id, name: site.name, timezone: tz },
        measured: daily.measured,
        consumptionSource: daily.consumptionSource,
        daily: daily.buckets,
        monthly: monthly.buckets,
        today: daily.buckets[daily.buckets.length - 1],
        month: monthly.buckets[monthly.buckets.length - 1],
      };
    },

    /**
     * Today and this month for each site the actor sees that has energy metrics, each in its own
     * zone, and their power now (energy-power.ts), with their sums over the sites with data (the
     * overview page, energy-balance.ts sumKnown).
     */
    async current(actor: Actor, now = Date.now()) {
      const metrics = await repos.fleet.energyMetrics(actor.isAdmin ? null : [...actor.roles.keys()]);
      const bySite = new Map<string, EnergyMetric[]>();
      for (const m of metrics) bySite.set(m.siteId, [...(bySite.get(m.siteId) ?? []), m]);
      const today: SiteEnergy[] = [];
      const month: SiteEnergy[] = [];
      const power: PowerNow[] = [];
      for (const list of bySite.values()) {
        const site = { id: list[0].siteId, name: list[0].siteName };
        const tz = list[0].siteTimezone;
        const one = (interval: EnergyInterval) => {
          const start = bucketStartOf(now, interval, tz);
          return windowOf({ from: iso(start), to: iso(bucketEnd(start, interval, tz)), interval }, tz);
        };
        today.push(await siteEnergy(site, list, one('1d')));
        month.push(await siteEnergy(site, list, one('1mo')));
        power.push(powerNow(list, now));
      }
      return {
        today: sumKnown(partsOf(today, 0)),
        month: sumKnown(partsOf(month, 0)),
        power: sumPower(power),
        sites: new Map(
          today.map((s, i) => [
            s.siteId,
            { today: s.buckets[0], month: month[i].buckets[0], measured: s.measured, power: power[i] },
          ]),
        ),
      };
    },

    /**
     * Every site the actor sees that has energy metrics, and their sum per bucket. Default zone:
     * the sites' own when they share one, else UTC.
     */
    async forFleet(actor: Actor, q: EnergyQuery): Promise<EnergyHead & { total: EnergyBucket[]; sites: SiteEnergy[] }> {
      const metrics = await repos.fleet.energyMetrics(actor.isAdmin ? null : [...actor.roles.keys()]);
      const zones = new Set(metrics.map((m) => m.siteTimezone));
      const w = windowOf(q, zones.size === 1 ? [...zones][0] : 'UTC');
      checkSize(metrics.length, w);
      const bySite = new Map<string, EnergyMetric[]>();
      for (const m of metrics) bySite.set(m.siteId, [...(bySite.get(m.siteId) ?? []), m]);
      const sites: SiteEnergy[] = [];
      for (const list of bySite.values())
        sites.push(await siteEnergy({ id: list[0].siteId, name: list[0].siteName }, list, w));
      const total = totalsOf(sites, w.starts);
      return { ...headOf(w), total, sites };
    },
  };
}

export type EnergyService = ReturnType<typeof energyService>;
