// Sitewatt's only page script besides the charts. No inline scripts anywhere: the CSP forbids them.
'use strict';

// Every htmx request that changes state carries the CSRF token of this page (meta tag).
document.addEventListener('htmx:config:request', (event) => {
  const request = event.detail.ctx.request;
  const token = document.querySelector('meta[name="csrf-token"]')?.content;
  if (token && request.method.toUpperCase() !== 'GET') request.headers['x-csrf-token'] = token;
});

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target : null;
  // Remove a metric row in the device form.
  const remove = target?.closest('[data-remove-row]');
  if (remove) {
    const row = remove.closest('[data-row]');
    const list = row?.parentElement;
    row?.remove();
    list?.querySelector('input')?.focus();
    return;
  }
  // Copy a freshly created token; the status line tells screen readers it worked.
  const copy = target?.closest('[data-copy]');
  if (copy) {
    const source = document.getElementById(copy.getAttribute('data-copy'));
    const status = document.getElementById(copy.getAttribute('data-copy-status'));
    if (!source) return;
    navigator.clipboard.writeText(source.value ?? source.textContent).then(
      () => {
        if (status) status.textContent = 'Copied to the clipboard.';
      },
      () => {
        source.select?.();
        if (status) status.textContent = 'Select the token and copy it yourself.';
      },
    );
  }
});
