// The bare-route ceiling of issue #6 (P1, P2): "a bare Fastify route returning a constant object,
// in the same process". The bench preloads this file into the real server's process
// (`node --import ./bench/baseline-server.mjs dist/server.js`), so both share one event loop, heap
// and garbage collector while the server's own code stays untouched. Plain JavaScript: the full
// bench runs the built server with node, without a TypeScript loader.
import Fastify from 'fastify';

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
// About the size of a metric with its latest value, so serialisation costs are comparable.
const body = {
  id: 'met_0123456789abcdefghij', deviceId: 'dev_0123456789abcdefghij', siteId: 'site_0123456789abcdefghij',
  key: 'power', name: 'Power', unit: 'kW', kind: 'gauge', intervalSeconds: 60,
  latest: { value: 42.5, unit: 'kW', timestamp: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:01.000Z', stale: false },
};
app.get('/bare', async () => body);
await app.listen({ port: Number(process.env.BENCH_BARE_PORT), host: '127.0.0.1' });
// It does not keep the process alive: the server's graceful shutdown ends it.
app.server.unref();
