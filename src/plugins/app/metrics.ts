import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { timingSafeEqual } from 'node:crypto';
import { errors } from '../../errors.js';

/**
 * Prometheus metrics at GET /metrics, behind METRICS_TOKEN (no token configured: 404).
 * One registry per app instance, so tests and several apps in one process do not collide.
 */
export default fp(
  async (app) => {
    const registry = new Registry();
    const requests = new Counter({
      name: 'sitewatt_http_requests_total',
      help: 'HTTP requests',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    const latency = new Histogram({
      name: 'sitewatt_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const ingested = new Counter({
      name: 'sitewatt_readings_ingested_total',
      help: 'Readings committed (live path)',
      registers: [registry],
    });
    new Gauge({
      name: 'sitewatt_open_streams',
      help: 'Open SSE streams',
      registers: [registry],
      collect() {
        this.set(app.services.streams.openCount);
      },
    });
    new Gauge({
      name: 'sitewatt_database_bytes',
      help: 'Database size (the SQLite file, or the PostgreSQL database)',
      registers: [registry],
      async collect() {
        this.set(await app.repos.health.databaseBytes());
      },
    });
    app.services.hub.onReadings((batch) => ingested.inc(batch.length));

    // prom-client hashes a label object on every inc/observe, a visible cost on a small API
    // answer; the labelled children are looked up once per combination.
    const children = new Map<string, { count: Counter.Internal; seconds: Histogram.Internal<string> }>();
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern, not the URL: ids must not explode the label set.
      const route = request.routeOptions.url ?? 'unknown';
      const key = `${request.method} ${reply.statusCode} ${route}`;
      let child = children.get(key);
      if (!child) {
        child = {
          count: requests.labels({ method: request.method, route, status: reply.statusCode }),
          seconds: latency.labels({ method: request.method, route }),
        };
        children.set(key, child);
      }
      child.count.inc();
      child.seconds.observe(reply.elapsedTime / 1000);
      done();
    });

    const expected = app.config.metricsToken ? Buffer.from(`Bearer ${app.config.metricsToken}`) : null;
    // Refusals are thrown, so they are problem+json like every route outside the pages.
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (!expected) throw new errors.NOT_FOUND();
      const given = Buffer.from(request.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new errors.UNAUTHENTICATED();
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  },
  { name: 'metrics', dependencies: ['database'] },
);
