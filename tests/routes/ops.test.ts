import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp, createWorld, injectAs } from '../helpers/app.js';
import { sqlRun } from '../helpers/sql.js';

let app: App;
afterEach(() => app?.close());

describe('GET /healthz and /readyz', () => {
  it('When the database is migrated, then both answer ok without credentials and reveal nothing else', async () => {
    app = await buildTestApp();
    for (const url of ['/healthz', '/readyz']) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    }
  });

  it('When a migration is missing, then /readyz answers 503 with Retry-After', async () => {
    app = await buildTestApp();
    await sqlRun(
      app,
      'DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)',
    );
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('When the database cannot say which migrations it has, then /readyz answers 503, never 500', async () => {
    app = await buildTestApp();
    await sqlRun(app, 'DROP TABLE __drizzle_migrations');
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable' });
  });
});

describe('X-Request-Id', () => {
  it('When a request comes in, then the response carries its id, keeping a sane id the caller sent', async () => {
    app = await buildTestApp();
    const own = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'gateway-42' } });
    expect(own.headers['x-request-id']).toBe('gateway-42');
    const fresh = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces<script>' } });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('GET /metrics', () => {
  it('When no token is configured, then it is off: 404 as problem+json like every route outside the pages (it was text/plain)', async () => {
    app = await buildTestApp();
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('When a token is configured, then only that bearer gets Prometheus text with requests, readings and streams', async () => {
    app = await buildTestApp({ metricsToken: 'metrics-token-0123456789' });
    const w = await createWorld(app);
    await injectAs(app, w.technician, {
      method: 'POST',
      url: '/api/readings',
      payload: { readings: [{ metricId: w.metrics[0].id, timestamp: new Date().toISOString(), value: 50 }] },
    });
    const anonymous = await app.inject({ url: '/metrics' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    expect(
      (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode,
    ).toBe(401);
    const res = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('sitewatt_readings_ingested_total 1');
    expect(res.body).toContain('sitewatt_open_streams 0');
    expect(res.body).toMatch(/sitewatt_http_requests_total\{method="POST",route="\/api\/readings",status="200"\} 1/);
    expect(res.body).toMatch(/sitewatt_database_bytes \d+/);
  });
});
