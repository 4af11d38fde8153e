// Device charts: one uPlot per metric, fed by GET /api/metrics/:id/timeseries
// ({interval, agg, timestamps: ISO[], series: [{metricId, name, unit, values}]}).
// If the call fails, the chart says so and the page keeps its table of latest values.
'use strict';

/**
 * uPlot's point filter for values with no neighbour (a metric reporting less often than one per
 * bucket): they have no line to be part of, so they are drawn as points, or the chart looks empty.
 * Shared with subscription-chart.js, which pages load after this file.
 */
window.Sitewatt = {
  ...window.Sitewatt,
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
  span(from, to, tz) {
    if (!knownZone(tz)) return `${from.toLocaleString()} – ${to.toLocaleString()}`;
    const f = new Intl.DateTimeFormat(undefined, { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' });
    return `${f.format(from)} – ${f.format(to)} (${tz})`;
  },
};

/** A zone this browser's Intl knows (the server's list may be newer): else the browser's own is used, unnamed. */
function knownZone(tz) {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

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
    const xs = body.timestamps.map((t) => Date.parse(t) / 1000);
    const series = body.series[0] ?? { values: [] };
    const data = [xs, series.values];
    plots.get(id)?.destroy();
    el.textContent = '';
    const unit = el.dataset.unit;
    const opts = {
      ...size(el),
      tzDate: window.Sitewatt.tzDate(body.tz),
      series: [
        {},
        {
          label: `${el.dataset.metricName}${unit ? ` (${unit})` : ''}`,
          stroke: '#1e88e5',
          width: 2,
          spanGaps: false,
          points: { filter: window.Sitewatt.isolatedPoints },
        },
      ],
      axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor', label: unit }],
      legend: { show: true },
    };
    plots.set(id, new uPlot(opts, data, el));
    return { points: xs.length, interval: body.interval, agg: series.agg ?? body.agg, tz: body.tz };
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
        : `Showing ${window.Sitewatt.span(w.from, w.to, ok.value.tz)}, ${ok.value.agg ?? ''} per ${ok.value.interval ?? 'interval'}.`;
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
  syncCustomInputs();
  drawAll();
})();
