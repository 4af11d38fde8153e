// A subscription's chart: every metric on one aligned time axis, one y-scale per unit (up to three
// units in one chart, two on a narrow screen; more units get a chart each).
// Data: GET /api/subscriptions/:id/timeseries
// ({from, to, interval, tz, agg, timestamps: ISO[], series: [{metricId, siteName, deviceName, name, unit, values}]}).
// Live: GET /api/subscriptions/:id/stream (SSE). While the window ends now, each burst of readings
// re-reads the window's tail (from the last bucket, same interval and aggregation) and appends it,
// so the new points are aggregated exactly as the rest; `event: reset` reloads everything.
'use strict';

(() => {
  const root = document.querySelector('[data-subscription-chart]');
  if (!root || typeof uPlot === 'undefined') return;
  const form = root.querySelector('#subscription-window');
  const status = root.querySelector('#subscription-chart-status');
  const plotsEl = root.querySelector('[data-plots]');
  const csv = root.querySelector('#subscription-csv');
  const live = root.querySelector('#subscription-live');
  const { range, agg, from: fromInput, to: toInput } = form.elements;
  const HOURS = { '1h': 1, '24h': 24, '7d': 168, '30d': 720 };
  // Colours come from app.css (chart-common.js): past them the colours come round again with
  // another line style, so no two lines look alike.
  const DASHES = [undefined, [8, 4], [2, 3], [12, 4, 2, 4]];
  const MAX_UNITS_PER_CHART = 3;
  // Below this width (px) a chart is lower and holds at most two units: each unit's axis takes
  // ~50 px, and a third would leave the lines half the width.
  const NARROW = 500;
  const num = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  let shown = null; // { from, to, interval, tz, agg, xs: seconds[], series: [...] }
  let plots = []; // { plot, idx: series indices }
  let loading = 0;

  const localValue = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const isLive = () => range.value !== 'custom';

  function windowNow() {
    if (range.value === 'custom') {
      const from = new Date(fromInput.value);
      const to = toInput.value ? new Date(toInput.value) : new Date();
      return Number.isNaN(from.getTime()) || !(from < to) ? null : { from, to };
    }
    const to = new Date();
    return { from: new Date(to.getTime() - HOURS[range.value] * 3_600_000), to };
  }

  function syncCustomInputs() {
    const custom = range.value === 'custom';
    fromInput.parentElement.hidden = !custom;
    toInput.parentElement.hidden = !custom;
    if (custom && !fromInput.value) {
      fromInput.value = localValue(root.dataset.from ? new Date(root.dataset.from) : new Date(Date.now() - 86_400_000));
      toInput.value = localValue(root.dataset.to ? new Date(root.dataset.to) : new Date());
    }
  }

  async function fetchSeries(params) {
    const res = await fetch(`${root.dataset.seriesUrl}?${new URLSearchParams(params)}`, {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    });
    if (!res.ok) throw new Error(`the server answered ${res.status}`);
    return res.json();
  }

  const aggParam = () => (agg.value === 'default' ? {} : { agg: agg.value });
  /** A count of readings is in readings, whatever the metric measures: its own axis, its own legend. */
  const valueUnit = (s) => (s.agg === 'count' ? { ...s, unit: 'readings' } : s);
  const label = (s) => `${s.siteName} / ${s.deviceName} / ${s.name}${s.unit ? ` (${s.unit})` : ''}`;
  const scaleOf = (unit) => `u:${unit}`;

  /** Series grouped by unit: one chart while the units fit on its axes, else one chart per unit. */
  function groups(series, width) {
    const units = [...new Set(series.map((s) => s.unit))];
    const parts = units.length <= (width < NARROW ? 2 : MAX_UNITS_PER_CHART) ? [units] : units.map((u) => [u]);
    return parts.map((us) => ({ units: us, idx: series.flatMap((s, i) => (us.includes(s.unit) ? [i] : [])) }));
  }

  const dataOf = (idx) => [shown.xs, ...idx.map((i) => shown.series[i].values)];

  /** What a chart shows per bucket, unit by unit: `kW, average per 5 min; kWh per 5 min`. */
  const perBucket = (idx) =>
    [
      ...new Set(idx.map((i) => window.Sitewatt.perBucket(shown.series[i].unit, shown.series[i].agg, shown.interval))),
    ].join('; ');

  function draw() {
    plots.forEach((p) => p.plot.destroy());
    plots = [];
    plotsEl.textContent = '';
    const width = Math.max(280, plotsEl.clientWidth);
    const theme = window.Sitewatt.theme();
    const base = window.Sitewatt.base(theme, shown.tz);
    const colors = theme.series;
    for (const g of groups(shown.series, width)) {
      const figure = document.createElement('figure');
      const caption = document.createElement('figcaption');
      caption.textContent = `${g.idx.length} ${g.idx.length === 1 ? 'metric' : 'metrics'}: ${perBucket(g.idx)}`;
      const el = document.createElement('div');
      el.className = 'chart';
      el.setAttribute('role', 'img');
      el.setAttribute('aria-label', `Chart of ${g.idx.map((i) => label(shown.series[i])).join('; ')}`);
      figure.append(caption, el);
      plotsEl.append(figure);
      const opts = {
        width,
        height: width < NARROW ? 220 : 300,
        tzDate: base.tzDate,
        scales: { x: { time: true }, ...Object.fromEntries(g.units.map((u) => [scaleOf(u), { auto: true }])) },
        series: [
          base.x,
          ...g.idx.map((i) => {
            const s = shown.series[i];
            return {
              label: label(s),
              scale: scaleOf(s.unit),
              stroke: colors[i % colors.length],
              dash: DASHES[Math.floor(i / colors.length) % DASHES.length],
              width: 2,
              spanGaps: false,
              points: { filter: window.Sitewatt.isolatedPoints },
              value: (_u, v) => window.Sitewatt.legendValue(v, s),
            };
          }),
        ],
        axes: [
          base.time,
          ...g.units.map((u, k) =>
            base.value({ scale: scaleOf(u), label: u, side: k === 0 ? 3 : 1, grid: { show: k === 0 } }),
          ),
        ],
        legend: base.legend,
        hooks: base.hooks,
      };
      plots.push({ plot: new uPlot(opts, dataOf(g.idx), el), idx: g.idx });
    }
    root.dataset.seriesCount = String(shown.series.length);
    root.dataset.pointCount = String(shown.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0));
  }

  /** The CSV of exactly what is shown: the same window, interval, zone and aggregation. */
  function showLinks() {
    csv.href = `${root.dataset.seriesUrl}?${window.Sitewatt.csvQuery(shown, aggParam())}`;
    const aggName =
      agg.value === 'default' ? 'average (increase for counters)' : agg.options[agg.selectedIndex].text.toLowerCase();
    status.textContent =
      shown.series.length === 0
        ? 'None of the metrics of this subscription is available to you.'
        : `Showing ${shown.series.length} ${shown.series.length === 1 ? 'metric' : 'metrics'}, ${window.Sitewatt.span(shown.from, shown.to, shown.tz)}, ${aggName} per ${window.Sitewatt.bucket(shown.interval)}.`;
  }

  async function load() {
    const w = windowNow();
    if (!w) {
      status.textContent = 'Choose a start before the end for a custom window.';
      return;
    }
    const mine = ++loading;
    status.textContent = 'Loading the chart…';
    const maxPoints = Math.min(1000, Math.max(100, Math.round(plotsEl.clientWidth)));
    try {
      const body = await fetchSeries({
        from: w.from.toISOString(),
        to: w.to.toISOString(),
        interval: 'auto',
        maxPoints,
        ...aggParam(),
      });
      if (mine !== loading) return; // a newer choice is on its way
      shown = {
        from: w.from,
        to: w.to,
        interval: body.interval,
        tz: body.tz,
        xs: body.timestamps.map((t) => Date.parse(t) / 1000),
        series: body.series.map(valueUnit),
      };
      draw();
      showLinks();
      remember(w);
    } catch (err) {
      if (mine === loading)
        status.textContent = `The chart is unavailable right now (${err.message}); the latest values are listed below.`;
    }
  }

  /** The window and aggregation in the address bar, so a reload or a shared link shows the same. */
  function remember(w) {
    const q = new URLSearchParams({ range: range.value, agg: agg.value });
    if (range.value === 'custom') {
      q.set('from', w.from.toISOString());
      q.set('to', w.to.toISOString());
    }
    history.replaceState(history.state, '', `${location.pathname}?${q}`);
  }

  // Live updates: readings come in bursts (a device sends all its metrics at once), so wait a moment and fetch once.
  let pending = null;
  let earliest = Infinity;
  function onReading(r) {
    const cell = document.querySelector(`[data-metric-value="${CSS.escape(r.metricId)}"]`);
    if (cell) cell.textContent = num.format(r.value);
    if (!shown || !isLive()) return;
    earliest = Math.min(earliest, Date.parse(r.timestamp));
    pending ??= setTimeout(appendTail, 1000);
  }

  async function appendTail() {
    pending = null;
    const since = earliest;
    earliest = Infinity;
    const xs = shown.xs;
    const last = xs[xs.length - 1];
    if (last === undefined || since / 1000 < xs[0]) return; // before the window: nothing shown changes
    if (since / 1000 < last) return load(); // an older bucket changed: read it all again
    const to = new Date();
    try {
      const tail = await fetchSeries({
        from: new Date(last * 1000).toISOString(),
        to: to.toISOString(),
        interval: shown.interval,
        tz: shown.tz,
        ...aggParam(),
      });
      const tx = tail.timestamps.map((t) => Date.parse(t) / 1000);
      const at = tx.indexOf(last);
      if (at === -1 || !isLive()) return load();
      const byId = new Map(tail.series.map((s) => [s.metricId, s.values]));
      const from = new Date(to.getTime() - HOURS[range.value] * 3_600_000);
      const merged = xs.slice(0, -1).concat(tx.slice(at));
      // Slide: drop buckets that ended before the new start.
      let keep = 0;
      while (keep < merged.length - 1 && merged[keep + 1] * 1000 <= from.getTime()) keep++;
      shown.series = shown.series.map((s) => ({
        ...s,
        values: s.values
          .slice(0, -1)
          .concat((byId.get(s.metricId) ?? []).slice(at))
          .slice(keep),
      }));
      shown.xs = merged.slice(keep);
      shown.from = from;
      shown.to = to;
      plots.forEach((p) => p.plot.setData(dataOf(p.idx)));
      root.dataset.liveUpdates = String(Number(root.dataset.liveUpdates ?? 0) + 1);
      showLinks();
    } catch {
      // The next reading tries again; the status line keeps saying what is shown.
    }
  }

  function connect() {
    if (typeof EventSource === 'undefined') return;
    const stream = new EventSource(root.dataset.streamUrl);
    stream.addEventListener('open', () => (live.textContent = 'Live: new readings appear as they arrive.'));
    stream.addEventListener('reading', (e) => onReading(JSON.parse(e.data)));
    stream.addEventListener('reset', () => load());
    // EventSource reconnects by itself (sending Last-Event-ID); CLOSED means the server refused it.
    stream.addEventListener('error', () => {
      live.textContent =
        stream.readyState === EventSource.CLOSED
          ? 'Live updates are unavailable; reload the page to try again.'
          : 'Live updates paused; reconnecting…';
    });
    window.addEventListener('pagehide', () => stream.close());
  }

  range.addEventListener('change', () => {
    syncCustomInputs();
    if (range.value !== 'custom') load();
  });
  agg.addEventListener('change', () => load());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => shown && draw(), 200);
  });
  // The colours come from CSS: a canvas does not follow a scheme change by itself.
  window.Sitewatt.onSchemeChange(() => shown && draw());
  syncCustomInputs();
  load();
  connect();
})();
