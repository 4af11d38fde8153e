// The bare routes' answer (bench/baseline-server.mjs, bench/layers-server.ts): about the size of a
// metric with its latest value, so serialisation costs are comparable.
export const body = {
  id: 'met_0123456789abcdefghij', deviceId: 'dev_0123456789abcdefghij', siteId: 'site_0123456789abcdefghij',
  key: 'power', name: 'Power', unit: 'kW', kind: 'gauge', intervalSeconds: 60,
  latest: { value: 42.5, unit: 'kW', timestamp: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:01.000Z', stale: false },
};
