// The bare routes' answer (bench/baseline-server.mjs, bench/layers-server.mjs): about the size of a
// metric with its latest value, so serialisation costs are comparable.
export const body = {
  id: 'met_0123456789abcdefghij',
  deviceId: 'dev_0123456789abcdefghij',
  siteId: 'site_0123456789abcdefghij',
  key: 'power',
  name: 'Power',
  unit: 'kW',
  kind: 'gauge',
  intervalSeconds: 60,
  latest: {
    value: 42.5,
    unit: 'kW',
    timestamp: '2026-01-01T00:00:00.000Z',
    receivedAt: '2026-01-01T00:00:01.000Z',
    stale: false,
  },
};

// A site's latest values as P2 answers them (GET /api/sites/:siteId/latest): 20 metrics of the
// bench's shape, ids as long as Sitewatt's, 8.1 KB of JSON (the real one, with longer names, 8.3
// KB). bench/layers.ts serves it from bare routes: what these bytes and their serialisation cost
// before any of Sitewatt's own work.
const id = (prefix, i) => `${prefix}_0123456789abcd${String(i).padStart(2, '0')}`;
const metric = (i) => ({
  ...body,
  id: id('met', i),
  deviceId: id('dev', Math.floor(i / 2)),
  siteId: id('site', 0),
  latest: { ...body.latest, value: 42.5 + i },
  createdAt: '2025-12-01T00:00:00.000Z',
  updatedAt: '2025-12-01T00:00:00.000Z',
  deviceName: `battery ${1 + Math.floor(i / 2)}`,
});
export const siteBody = { items: Array.from({ length: 20 }, (_, i) => metric(i)) };
