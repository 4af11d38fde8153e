// Live alarm changes for the page: one EventSource on /api/alarms/stream per page. Each change tells
// htmx (event `alarms-changed` on <body>) to fetch the navigation badge and any alarm list again.
'use strict';

(() => {
  if (typeof EventSource === 'undefined' || !document.querySelector('[data-alarm-live]')) return;
  const stream = new EventSource('/api/alarms/stream');
  let timer;
  // A burst of changes (a sweep raising several) costs one fetch.
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => document.body.dispatchEvent(new CustomEvent('alarms-changed')), 150);
  };
  stream.addEventListener('alarm', changed);
  stream.addEventListener('reset', changed);
  // Leaving the page closes it at once, so the per-user stream slots free up.
  window.addEventListener('pagehide', () => stream.close());
})();
