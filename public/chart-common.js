// What every chart shares (the device charts in chart.js, a subscription's in subscription-chart.js):
// colours taken from the page's CSS, so a chart follows the light or dark scheme and is drawn again
// when the scheme changes; times in one zone, written one way (24-hour, day before month, as the
// server writes them); and the words for an aggregation per bucket. Loaded before both.
'use strict';

/** A zone this browser's Intl knows (the server's list may be newer): else the browser's own is used, unnamed. */
function knownZone(tz) {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const DAY = 86_400;
const DAY_MONTH = '{D} {MMM}';
/**
 * uPlot's time-axis formats (its own table, in seconds): for each tick spacing, the label and the
 * extra line shown where the year, month or day changes. uPlot's default writes 12/6/26 and 2pm.
 */
const TIME_AXIS = [
  // spacing    label                year              month day                        hour min sec  mode: append
  [365 * DAY, '{YYYY}', null, null, null, null, null, null, 1],
  [28 * DAY, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
  [DAY, DAY_MONTH, '\n{YYYY}', null, null, null, null, null, 1],
  [60, '{HH}:{mm}', `\n${DAY_MONTH} {YYYY}`, null, `\n${DAY_MONTH}`, null, null, null, 1],
  [1, '{HH}:{mm}:{ss}', `\n${DAY_MONTH} {YYYY}`, null, `\n${DAY_MONTH}`, null, null, null, 1],
];
const BUCKETS = {
  '1m': 'minute',
  '5m': '5 min',
  '15m': '15 min',
  '1h': 'hour',
  '1d': 'day',
  '1w': 'week',
  '1mo': 'month',
};
const AGGREGATIONS = {
  avg: 'average',
  min: 'minimum',
  max: 'maximum',
  sum: 'sum',
  first: 'first value',
  last: 'last value',
};
const dark = matchMedia('(prefers-color-scheme: dark)');

/** Hides the legend's values (uPlot writes "--") while no point is pointed at: it names the lines only. */
const markIdle = (u) => u.root.classList.toggle('chart-idle', u.legend.idx == null);

/** Legend numbers: to the metric's `decimals` (the API's series says it), else up to two decimals. */
const legendFormats = new Map();
const legendFormat = (decimals) => {
  const key = decimals ?? 'default';
  if (!legendFormats.has(key))
    legendFormats.set(
      key,
      new Intl.NumberFormat(
        undefined,
        decimals == null
          ? { maximumFractionDigits: 2 }
          : { minimumFractionDigits: decimals, maximumFractionDigits: decimals },
      ),
    );
  return legendFormats.get(key);
};

window.Sitewatt = {
  ...window.Sitewatt,
  /** A value as a chart's legend writes it: `12.5 kW`, to the series' decimals; `–` for none. */
  legendValue: (v, series) =>
    v == null
      ? '–'
      : `${legendFormat(series.agg === 'count' ? 0 : series.decimals).format(v)}${series.unit ? ` ${series.unit}` : ''}`,
  /** The query of the CSV of exactly what a chart shows: its window, interval, zone and aggregation. */
  csvQuery: (shown, agg) =>
    new URLSearchParams({
      format: 'csv',
      from: shown.from.toISOString(),
      to: shown.to.toISOString(),
      interval: shown.interval,
      tz: shown.tz,
      ...agg,
    }),
  /**
   * uPlot's point filter for values with no neighbour (a metric reporting less often than one per
   * bucket): they have no line to be part of, so they are drawn as points, or the chart looks empty.
   */
  isolatedPoints(u, sid, show) {
    if (show) return null;
    const ys = u.data[sid];
    const out = [];
    for (let i = 0; i < ys.length; i++) if (ys[i] != null && ys[i - 1] == null && ys[i + 1] == null) out.push(i);
    return out.length ? out : null;
  },
  /**
   * Chart times in the zone the series were bucketed in (the answer's `tz`: the site's, or the one
   * asked), so a day bucket starts at midnight on the axis; the zone is named in the status line.
   */
  tzDate: (tz) => (knownZone(tz) ? (ts) => uPlot.tzDate(new Date(ts * 1000), tz) : undefined),
  /** `6 Dec 2026, 09:05 – 7 Dec 2026, 09:05 (Europe/Amsterdam)`, whatever the browser's language. */
  span(from, to, tz) {
    const zone = knownZone(tz) ? tz : undefined;
    const f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    const text = (d) => f.format(d).replace('Sept', 'Sep');
    return `${text(from)} – ${text(to)}${zone ? ` (${zone})` : ''}`;
  },
  /** `5 min`, `hour`: a bucket as the captions and status lines name it. */
  bucket: (interval) => BUCKETS[interval] ?? interval,
  /** `kW, average per 5 min`; a counter's increase or a count reads as a rate: `kWh per 5 min`. */
  perBucket(unit, agg, interval) {
    const per = `per ${window.Sitewatt.bucket(interval)}`;
    if (agg === 'count') return `readings ${per}`;
    if (agg === 'delta') return `${unit || 'increase'} ${per}`;
    return `${unit ? `${unit}, ` : ''}${AGGREGATIONS[agg] ?? agg} ${per}`;
  },
  /** The chart colours of the scheme in use, from app.css (which takes them from Pico). */
  theme() {
    const css = getComputedStyle(document.documentElement);
    const v = (name) => css.getPropertyValue(name).trim();
    return { text: v('--sw-chart-text'), grid: v('--sw-chart-grid'), series: v('--sw-chart-series').split(/\s*,\s*/) };
  },
  /** uPlot options every chart shares: the time axis and legend in zone `tz`, and the theme's colours. */
  base(theme, tz) {
    const line = { stroke: theme.grid, width: 1 };
    return {
      tzDate: window.Sitewatt.tzDate(tz),
      time: { stroke: theme.text, grid: line, ticks: line, values: TIME_AXIS },
      value: (axis) => ({ stroke: theme.text, ticks: line, ...axis, grid: { ...line, ...axis.grid } }),
      x: { label: 'Time', value: `${DAY_MONTH} {YYYY}, {HH}:{mm}` },
      legend: { show: true },
      hooks: { ready: [markIdle], setLegend: [markIdle] },
    };
  },
  /** Calls `redraw` when the system switches between light and dark. */
  onSchemeChange(redraw) {
    dark.addEventListener('change', redraw);
  },
};
