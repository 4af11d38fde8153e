// Responses are serialised with a `Nullable(X)` turned into a type list (cheaper to serialise): the same JSON
// as before, for null and non-null values, and the served OpenAPI document keeps its anyOf.
import { describe, expect, it } from 'vitest';
import Type from 'typebox';
import { compilePending, nullableAsTypeList } from '../../src/plugins/app/validation.js';
import { Nullable, Timestamp } from '../../src/schemas/common.js';
import { buildTestApp, createWorld, injectAs } from '../helpers/app.js';

describe('nullable fields in responses', () => {
  it('When a schema has Nullable(object) and Nullable(string) fields, then they become type lists; unions of literals stay', () => {
    const schema = Type.Object({
      a: Nullable(Type.Object({ t: Timestamp })),
      b: Nullable(Type.String()),
      c: Type.Union([Type.Literal('x'), Type.Null()]),
    });
    const out = nullableAsTypeList(JSON.parse(JSON.stringify(schema))) as {
      properties: Record<string, { type?: unknown; anyOf?: unknown }>;
    };
    expect(out.properties.a.type).toEqual(['object', 'null']);
    expect(out.properties.b.type).toEqual(['string', 'null']);
    expect(out.properties.c.anyOf).toBeDefined();
  });

  it('When a metric has no reading and then one, then `latest` is null and then the full object', async () => {
    const app = await buildTestApp();
    try {
      const w = await createWorld(app);
      const metric = w.metrics[0];
      const get = async () => (await injectAs(app, w.viewer, { url: `/api/metrics/${metric.id}` })).json();
      expect((await get()).latest).toBeNull();
      const at = new Date(Date.now() - 60_000).toISOString();
      const ingest = await injectAs(app, w.technician, {
        method: 'POST',
        url: '/api/readings',
        payload: { readings: [{ metricId: metric.id, timestamp: at, value: 41.5 }] },
      });
      expect(ingest.statusCode).toBeLessThan(300);
      expect((await get()).latest).toMatchObject({ value: 41.5, unit: metric.unit, timestamp: at, stale: false });
      const doc = (await app.inject({ url: '/openapi.json' })).json();
      expect(JSON.stringify(doc.paths)).toContain('anyOf');
    } finally {
      await app.close();
    }
  });
});

describe('schema compilation', () => {
  it('When the app is built, then every route schema compiles (they compile lazily, so a broken one would otherwise surface only on first use)', async () => {
    const app = await buildTestApp();
    try {
      expect(await compilePending()).toBeGreaterThan(50);
      expect(await compilePending()).toBe(0);
    } finally {
      await app.close();
    }
  });
});
