// Formatting helpers handed to every template as `it.f`.
import { powerSign } from '../../domain/power-signs.js';
import { ENERGY_ROLE_LABELS, type EnergyRole } from '../../domain/energy-roles.js';
import { iso } from '../../services/views.js';
import { isValidTimeZone, offsetAt } from '../../timeseries/zone.js';

const num = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });
const TYPE_NAMES = new Map([
  ['ev_charger', 'EV charger'],
  ['pv_array', 'PV array'],
]);

/**
 * Up to two decimals, thousands grouped: exactly what `num` (Intl, en-GB) writes, but faster. A
 * site page shows a value per metric, and Intl's formatter shows in its polled fragment's profile
 * (docs/performance.md, P3). Intl rounds the shortest decimal text of the number (`String(v)`: 1.005 → 1.01,
 * where toFixed gives 1.00), half away from zero, so this does too; a test compares the two over
 * random values. Exponent notation, NaN and infinities go to Intl.
 */
function decimal(v: number): string {
  const text = String(Math.abs(v));
  if (text.includes('e') || !Number.isFinite(v)) return num.format(v);
  const dot = text.indexOf('.');
  let whole = dot === -1 ? text : text.slice(0, dot);
  let fraction = dot === -1 ? '' : text.slice(dot + 1);
  if (fraction.length > 2) {
    // Hundredths as an integer, rounded half up: exact, as a number with three decimals in its
    // shortest text is below 2^46 (above, neighbouring numbers are 1/64 apart and two decimals
    // tell them apart), so its hundredths stay below 2^53.
    const hundredths = String(Number(whole + fraction.slice(0, 2)) + (fraction[2] >= '5' ? 1 : 0)).padStart(3, '0');
    whole = hundredths.slice(0, -2);
    fraction = hundredths.slice(-2).replace(/0+$/, '');
  }
  if (whole.length > 3) whole = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  return `${v < 0 || Object.is(v, -0) ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/**
 * ISO 8601 UTC text, as views.iso writes it (`2026-11-26T14:03:27.000Z`) or with another fraction:
 * tested without captures, then cut.
 */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** `26 Nov` from ISO text. */
const dayMonth = (text: string) => `${Number(text.slice(8, 10))} ${MONTHS[Number(text.slice(5, 7)) - 1]}`;

/**
 * `7 Dec, 09:05` for a UTC minute (`2026-12-07T08:05`) in a zone, remembered: a page's times share a
 * few minutes, and parsing and writing the instant again cost four times the rest. A transition
 * never falls inside a minute unless local mean time (seconds in its offset) is involved: those
 * minutes take the long way.
 */
const zonedMinutes = new Map<string, string>();
function zonedMinute(utcMinute: string, tz: string): string | null {
  const key = `${tz} ${utcMinute}`;
  let local = zonedMinutes.get(key);
  if (local === undefined) {
    const ms = Date.parse(`${utcMinute}:00Z`);
    const offset = offsetAt(ms, tz);
    if (offset % 60_000 !== 0) return null;
    const text = iso(ms + offset);
    local = `${dayMonth(text)}, ${text.slice(11, 16)}`;
    if (zonedMinutes.size >= 10_000) zonedMinutes.clear();
    zonedMinutes.set(key, local);
  }
  return local;
}

export const format = {
  /** `Battery power (kW, + discharging)`: what an energy role means, with its unit and sign. */
  energyRole: (role: string | null) => (role === null ? '' : (ENERGY_ROLE_LABELS[role as EnergyRole] ?? role)),
  number: (v: number | null | undefined) => (v === null || v === undefined ? '–' : decimal(v)),
  /**
   * `26 Nov, 14:03:27 UTC` – short, unambiguous, the same for every viewer and every Node version.
   * With a zone (a site's pages show the site's), the wall time there, `26 Nov, 15:03:27`: the page
   * names the zone once; an unknown zone falls back to UTC, said as such.
   * Cut from the ISO text the services give (views.iso): Intl's formatter is costly on a hot page,
   * and the zone's offset comes from zone.ts's memo, not from Intl.
   * Any other text is read as an instant and written that way first.
   */
  time: (value: string | null | undefined, tz?: string) => {
    if (!value) return '–';
    let text = value;
    if (!ISO_UTC.test(text)) {
      const ms = Date.parse(value);
      text = Number.isNaN(ms) ? '' : iso(ms);
      if (!ISO_UTC.test(text)) return '–';
    }
    if (!MONTHS[Number(text.slice(5, 7)) - 1]) return '–';
    if (tz === undefined || tz === 'UTC' || !isValidTimeZone(tz))
      return `${dayMonth(text)}, ${text.slice(11, 19)}${tz === 'UTC' ? '' : ' UTC'}`;
    const minute = zonedMinute(text.slice(0, 16), tz);
    if (minute !== null) return `${minute}${text.slice(16, 19)}`;
    const ms = Date.parse(text);
    const local = iso(ms + offsetAt(ms, tz));
    return `${dayMonth(local)}, ${local.slice(11, 19)}`;
  },
  /** `Wind turbine`; remembered per type (device types are a short fixed list). */
  typeName: (type: string) => {
    let name = TYPE_NAMES.get(type);
    if (name === undefined)
      TYPE_NAMES.set(type, (name = type.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase())));
    return name;
  },
  /** What the sign of a power metric means (battery, meter), or null. */
  sign: powerSign,
};
