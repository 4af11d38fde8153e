// Device charts: one uPlot per metric, fed by GET /api/metrics/:id/timeseries
// ({interval, tz, timestamps: ISO[], series: [{metricId, name, unit, agg, values}]}).
// Each chart says its own aggregation (a counter's is its increase, a gauge's its average) and
// bucket; the status line says the window and zone they share. Shared parts: chart-common.js.
// If the call fails, the chart says so and the page keeps its table of latest values.
'use strict';

(() => {
  const section = document.querySelector('[data-charts]');
  if (!section || typeof uPlot === 'undefined') return;
  const form = section.querySelector('#chart-window');
  const status = section.querySelector('#chart-status');
  const range = form.elements.namedItem('range');
  const fromInput = form.elements.namedItem('from');
  const toInput = form.elements.namedItem('to');
  const HOURS = { '1h': 1, '24h': 24, '7d': 168, '30d': 720 };
  const plots = new Map();
  const fetched = new Map(); // metric id -> { data, interval, agg, tz }

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
    fromInput.closest('label').hidden = !custom;
    toInput.closest('label').hidden = !custom;
    if (custom && !fromInput.value) {
      const w = { from: new Date(Date.now() - 86_400_000), to: new Date() };
      fromInput.value = localValue(w.from);
      toInput.value = localValue(w.to);
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
        },
      ],
      axes: [base.time, base.value({ label: unit })],
      legend: base.legend,
      hooks: base.hooks,
    };
    plots.set(id, new uPlot(opts, shown.data, el));
  }

  async function draw(el, w) {
    const id = el.dataset.metricId;
    const points = Math.min(1000, Math.max(100, Math.round(el.clientWidth)));
    const url = `/api/metrics/${encodeURIComponent(id)}/timeseries?from=${w.from.toISOString()}&to=${w.to.toISOString()}&interval=auto&maxPoints=${points}`;
    const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    if (!res.ok) {
      // A refused window (400) says why in its problem+json: the person should read that, not a code.
      const problem = await res.json().catch(() => null);
      throw new Error(problem?.detail ?? `the server answered ${res.status}`);
    }
    const body = await res.json();
    const series = body.series[0] ?? { values: [] };
    const xs = body.timestamps.map((t) => Date.parse(t) / 1000);
    fetched.set(id, { data: [xs, series.values], interval: body.interval, agg: series.agg ?? body.agg, tz: body.tz });
    plot(el);
    return { tz: body.tz };
  }

  async function drawAll() {
    const w = windowNow();
    if (!w) {
      status.textContent = 'Choose a start before the end for a custom window.';
      return;
    }
    status.textContent = 'Loading charts…';
    const charts = [...section.querySelectorAll('[data-chart]')];
    const results = await Promise.allSettled(charts.map((el) => draw(el, w)));
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
})();
