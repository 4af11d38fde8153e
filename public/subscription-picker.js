// The subscription form's metric picker: filter the checkbox list as you type, count the selection.
// Listeners sit on the document, so they keep working after htmx swaps the form (a 422 re-render).
'use strict';

(() => {
  const pickerOf = (el) => el.closest('[data-metric-picker]');

  function update(picker) {
    const filter = picker.querySelector('[data-metric-filter]');
    const words = (filter?.value ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const items = [...picker.querySelectorAll('[data-picker-item]')];
    let shown = 0;
    // A word matches part of a site, device, metric name or key, or a whole unit or a whole part of
    // one between spaces or slashes ("m³" finds m³/h, "co2" finds "kg CO2"): "kW" finds power, not
    // the kWh counters as well.
    const unitMatches = (unit, w) => unit === w || unit.split(/[\s/]+/).includes(w);
    const matches = (item, w) => item.dataset.search.includes(w) || unitMatches(item.dataset.unit, w);
    for (const item of items) {
      item.hidden = !words.every((w) => matches(item, w));
      if (!item.hidden) shown++;
    }
    // Innermost groups first, so a site hides only when all its devices do.
    for (const group of [...picker.querySelectorAll('[data-picker-group]')].reverse()) {
      group.hidden = !group.querySelector('[data-picker-item]:not([hidden])');
    }
    const empty = picker.querySelector('[data-picker-empty]');
    if (empty) empty.hidden = shown > 0;
    const status = picker.querySelector('#metric-picker-status');
    const selected = picker.querySelectorAll('input[name="metricIds"]:checked').length;
    if (status) {
      const total = Number(status.dataset.total);
      status.textContent = `${selected} of ${total} metrics selected${words.length ? `; ${shown} shown by the filter` : ''}.`;
    }
  }

  function init(root) {
    for (const picker of root.querySelectorAll('[data-metric-picker]')) {
      const buttons = picker.querySelector('[data-picker-buttons]');
      if (buttons) buttons.hidden = false;
      update(picker);
    }
  }

  document.addEventListener('input', (event) => {
    const t = event.target;
    if (t instanceof HTMLInputElement && t.matches('[data-metric-filter]')) update(pickerOf(t));
  });
  document.addEventListener('change', (event) => {
    const t = event.target;
    if (t instanceof HTMLInputElement && t.name === 'metricIds' && pickerOf(t)) update(pickerOf(t));
  });
  // Enter in the filter box would submit the form half-chosen.
  document.addEventListener('keydown', (event) => {
    if (
      event.key === 'Enter' &&
      event.target instanceof HTMLInputElement &&
      event.target.matches('[data-metric-filter]')
    )
      event.preventDefault();
  });
  document.addEventListener('click', (event) => {
    const button =
      event.target instanceof Element ? event.target.closest('[data-select-shown], [data-clear-selection]') : null;
    const picker = button && pickerOf(button);
    if (!picker) return;
    const all = button.hasAttribute('data-select-shown');
    for (const box of picker.querySelectorAll('[data-picker-item] input[name="metricIds"]')) {
      if (!all) box.checked = false;
      else if (!box.closest('[data-picker-item]').hidden) box.checked = true;
    }
    update(picker);
  });
  document.addEventListener('htmx:after:swap', () => init(document));
  init(document);
})();
