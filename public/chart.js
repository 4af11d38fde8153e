// Device charts: one uPlot per metric, fed by GET /api/metrics/:id/timeseries
// ({interval, tz, timestamps: ISO[], series: [{metricId, name, unit, agg, values}]}).
// Each chart says its own aggregation (a counter's is its increase, a gauge's its average) and
// bucket; the status line says the window and zone they share. Shared parts: chart-common.js.
// The window and aggregation live in the address bar (`?range=1h&agg=max`), so a reload or a shared
// link shows the same charts; each chart links the CSV of exactly what it shows. Live: while the
// window ends now, the tail of each chart (from its last bucket, same interval and aggregation) is
// read again every 10 s, the simulator's and a typical gateway's cadence, and appended, so new
// points are aggregated exactly as the rest (subscription-chart.js does the same on its stream).
// If the call fails, the chart says so and the page keeps its table of latest values.
'use strict';

(() => {
  const section = document.querySelector('[data-charts]');
  if (!section || typeof uPlot === 'undefined') return;
  const form = section.querySelector('#chart-window');
  const status = section.querySelector('#chart-status');
  const live = section.querySelector('#chart-live');
  const { range, agg, from: fromInput, to: toInput } = form.elements;
  const HOURS = { '1h': 1, '24h': 24, '7d': 168, '30d': 720 };
  const LIVE_EVERY_MS = 10_000;
  const plots = new Map();
  const fetched = new Map(); // metric id -> { data, interval, agg, tz, from, to }
  let shownWindow = null;
  let loading = 0;
  const isLive = () => range.value !== 'custom';
  const aggParam = () => (agg.value === 'default' ? {} : { agg: agg.value });

  // datetime-local works in local time without a zone; toISOString converts it to UTC.
  const localValue = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

  function windowNow() {
    if (range.value === 'custom') {
      const from = new Date(fromInput.value);
      const to = toInput.value ? new Date(toInput.value) : new Date();
      if (Number.isNaN(from.getTime()) || !(from < to)) return null;
      return { from, to };
    }
    const to = new Date();
    return { from: new Date(to.getTime() - HOURS[range.value] * 3_600_000), to };
  }

  function syncCustomInputs() {
    const custom = range.value === 'custom';
    fromInput.parentElement.hidden = !custom;
    toInput.parentElement.hidden = !custom;
    if (custom && !fromInput.value) {
      const { from, to } = section.dataset;
      fromInput.value = localValue(from ? new Date(from) : new Date(Date.now() - 86_400_000));
      toInput.value = localValue(to ? new Date(to) : new Date());
    }
  }

  function size(el) {
    return { width: Math.max(280, el.clientWidth), height: 220 };
  }

  /** The chart of `el` from what was last fetched for it, in the colours of the scheme in use now. */
  function plot(el) {
    const id = el.dataset.metricId;
    const shown = fetched.get(id);
    if (!shown) return;
    const { metricName: name, unit } = el.dataset;
    const theme = window.Sitewatt.theme();
    const base = window.Sitewatt.base(theme, shown.tz);
    const per = window.Sitewatt.perBucket(unit, shown.agg, shown.interval);
    el.closest('figure').querySelector('[data-chart-caption]').textContent = per;
    el.setAttribute('aria-label', `Chart of ${name}, ${per}`);
    plots.get(id)?.destroy();
    el.textContent = '';
    const opts = {
      ...size(el),
      tzDate: base.tzDate,
      series: [
        base.x,
        {
          label: `${name}${unit ? ` (${unit})` : ''}`,
          stroke: theme.series[0],
          width: 2,
          spanGaps: false,
          points: { filter: window.Sitewatt.isolatedPoints },
          value: (_u, v) =>
            window.Sitewatt.legendValue(v, {
              unit: shown.agg === 'count' ? '' : unit,
              decimals: shown.decimals,
              agg: shown.agg,
            }),
        },
      ],
      axes: [base.time, base.value({ label: unit })],
      legend: base.legend,
      hooks: base.hooks,
    };
    plots.set(id, new uPlot(opts, shown.data, el));
    markLast(el);
  }

  /** The latest value drawn, on the chart's element: what a test (or a curious person) can read. */
  function markLast(el) {
    const ys = fetched.get(el.dataset.metricId)?.data[1] ?? [];
    const last = ys.findLast((v) => v != null);
    el.dataset.lastValue = last === undefined ? '' : String(last);
  }

  async function fetchSeries(id, params) {
    const url = `/api/metrics/${encodeURIComponent(id)}/timeseries?${new URLSearchParams(params)}`;
    const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    if (!res.ok) {
      // A refused window (400) says why in its problem+json: the person should read that, not a code.
      const problem = await res.json().catch(() => null);
      throw new Error(problem?.detail ?? `the server answered ${res.status}`);
    }
    return res.json();
  }

  /** The CSV link under a chart: the same window, interval, zone and aggregation as drawn. */
  function csvLink(el) {
    const shown = fetched.get(el.dataset.metricId);
    const link = el.closest('figure').querySelector('[data-chart-csv]');
    if (!shown || !link) return;
    const query = window.Sitewatt.csvQuery(shown, aggParam());
    link.href = `/api/metrics/${encodeURIComponent(el.dataset.metricId)}/timeseries?${query}`;
  }

  async function draw(el, w) {
    const id = el.dataset.metricId;
    const points = Math.min(1000, Math.max(100, Math.round(el.clientWidth)));
    const body = await fetchSeries(id, {
      from: w.from.toISOString(),
      to: w.to.toISOString(),
      interval: 'auto',
      maxPoints: points,
      ...aggParam(),
    });
    const series = body.series[0] ?? { values: [] };
    const xs = body.timestamps.map((t) => Date.parse(t) / 1000);
    fetched.set(id, {
      data: [xs, series.values],
      interval: body.interval,
      agg: series.agg ?? body.agg,
      decimals: series.decimals ?? null,
      tz: body.tz,
      from: w.from,
      to: w.to,
    });
    plot(el);
    csvLink(el);
    return { tz: body.tz };
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

  /** Reads each chart's tail again (from its last bucket) and slides the window to end now. */
  async function appendTails() {
    if (!isLive() || !shownWindow || document.hidden) return;
    const to = new Date();
    const from = new Date(to.getTime() - HOURS[range.value] * 3_600_000);
    const mine = loading;
    const charts = [...section.querySelectorAll('[data-chart]')];
    await Promise.allSettled(
      charts.map(async (el) => {
        const shown = fetched.get(el.dataset.metricId);
        const xs = shown?.data[0];
        const last = xs?.[xs.length - 1];
        if (last === undefined) return;
        const tail = await fetchSeries(el.dataset.metricId, {
          from: new Date(last * 1000).toISOString(),
          to: to.toISOString(),
          interval: shown.interval,
          tz: shown.tz,
          ...aggParam(),
        });
        if (mine !== loading || !isLive()) return; // a newer choice was drawn meanwhile
        const tx = tail.timestamps.map((t) => Date.parse(t) / 1000);
        const at = tx.indexOf(last);
        if (at === -1) return;
        const values = tail.series[0]?.values ?? [];
        const mergedX = xs.slice(0, -1).concat(tx.slice(at));
        const mergedY = shown.data[1].slice(0, -1).concat(values.slice(at));
        // Slide: drop buckets that ended before the new start.
        let keep = 0;
        while (keep < mergedX.length - 1 && mergedX[keep + 1] * 1000 <= from.getTime()) keep++;
        shown.data = [mergedX.slice(keep), mergedY.slice(keep)];
        shown.from = from;
        shown.to = to;
        plots.get(el.dataset.metricId)?.setData(shown.data);
        markLast(el);
        csvLink(el);
      }),
    );
    if (mine !== loading) return;
    shownWindow = { from, to };
    section.dataset.liveUpdates = String(Number(section.dataset.liveUpdates ?? 0) + 1);
    const tz = [...fetched.values()][0]?.tz;
    if (tz) status.textContent = `Showing ${window.Sitewatt.span(from, to, tz)}.`;
  }

  async function drawAll() {
    const w = windowNow();
    if (!w) {
      status.textContent = 'Choose a start before the end for a custom window.';
      return;
    }
    const mine = ++loading;
    status.textContent = 'Loading charts…';
    const charts = [...section.querySelectorAll('[data-chart]')];
    const results = await Promise.allSettled(charts.map((el) => draw(el, w)));
    if (mine !== loading) return; // a newer choice is on its way
    shownWindow = w;
    remember(w);
    live.textContent = isLive()
      ? 'Live: the charts follow new readings every 10 s.'
      : 'A custom window does not follow new readings.';
    let failed = 0;
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        failed++;
        plots.get(charts[i].dataset.metricId)?.destroy();
        plots.delete(charts[i].dataset.metricId);
        fetched.delete(charts[i].dataset.metricId);
        charts[i].closest('figure').querySelector('[data-chart-caption]').textContent = '';
        charts[i].textContent = `Chart unavailable (${r.reason.message}).`;
      }
    });
    const ok = results.find((r) => r.status === 'fulfilled');
    const reasons = [...new Set(results.filter((r) => r.status === 'rejected').map((r) => r.reason.message))];
    status.textContent =
      failed === charts.length
        ? reasons.length === 1 && !reasons[0].startsWith('the server answered')
          ? `${reasons[0]}.`
          : 'Charts are unavailable right now; the latest values are listed below.'
        : `Showing ${window.Sitewatt.span(w.from, w.to, ok.value.tz)}.`;
  }

  range.addEventListener('change', () => {
    syncCustomInputs();
    if (range.value !== 'custom') drawAll();
  });
  agg.addEventListener('change', () => drawAll());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    drawAll();
  });
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const el of section.querySelectorAll('[data-chart]')) plots.get(el.dataset.metricId)?.setSize(size(el));
    }, 200);
  });
  // The colours come from CSS: a canvas does not follow a scheme change by itself.
  window.Sitewatt.onSchemeChange(() => section.querySelectorAll('[data-chart]').forEach(plot));
  syncCustomInputs();
  drawAll();
  setInterval(appendTails, LIVE_EVERY_MS);
})();
