// The bare-route ceiling of issue #6 (P1, P2): Fastify with the app's logger settings and one
// route returning a constant object. A separate process, so the real server's code stays untouched.
import Fastify from 'fastify';

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
// About the size of a metric with its latest value, so serialisation costs are comparable.
const body = {
  id: 'met_0123456789abcdefghij', deviceId: 'dev_0123456789abcdefghij', siteId: 'site_0123456789abcdefghij',
  key: 'power', name: 'Power', unit: 'kW', kind: 'gauge', intervalSeconds: 60,
  latest: { value: 42.5, unit: 'kW', timestamp: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:01.000Z', stale: false },
};
app.get('/bare', async () => body);
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
