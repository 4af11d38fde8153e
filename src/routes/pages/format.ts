// Formatting helpers handed to every template as `it.f`.
const num = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });
// One formatter, made once: toLocaleString with options builds a new one per call (20 % of a live-values render).
const when = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', second: '2-digit', day: 'numeric', month: 'short' });

export const format = {
  number: (v: number | null | undefined) => (v === null || v === undefined ? '–' : num.format(v)),
  /** `14:03:27 UTC, 26 Nov` – short, unambiguous, the same for every viewer. */
  time: (iso: string | null | undefined) =>
    iso ? when.format(new Date(iso)) + ' UTC' : '–',
  typeName: (type: string) => ({ ev_charger: 'EV charger', pv_array: 'PV array' })[type] ?? type.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
};
