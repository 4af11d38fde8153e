// Formatting helpers handed to every template as `it.f`.
import { iso } from '../../services/views.js';

const num = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ISO_UTC = /^\d{4}-(\d{2})-(\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/;

export const format = {
  number: (v: number | null | undefined) => (v === null || v === undefined ? '–' : num.format(v)),
  /**
   * `26 Nov, 14:03:27 UTC` – short, unambiguous, the same for every viewer and every Node version.
   * Cut from the ISO text the services give (views.iso): Intl's formatter was ~8 % of a site page.
   */
  time: (value: string | null | undefined) => {
    if (!value) return '–';
    let m = ISO_UTC.exec(value);
    if (!m) {
      const ms = Date.parse(value);
      m = Number.isNaN(ms) ? null : ISO_UTC.exec(iso(ms));
    }
    const month = m ? MONTHS[Number(m[1]) - 1] : undefined;
    return m && month ? `${Number(m[2])} ${month}, ${m[3]} UTC` : '–';
  },
  typeName: (type: string) => ({ ev_charger: 'EV charger', pv_array: 'PV array' })[type] ?? type.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
};
