import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Actor } from '../../src/services/policy.js';
import { buildTestApp, createWorld } from '../helpers/app.js';
import { sqlRow, sqlRun } from '../helpers/sql.js';

type World = Awaited<ReturnType<typeof createWorld>>;

let app: App;
let w: World;
let tech: Actor;

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  tech = (await app.services.auth.loadActor(w.technician.id))!;
});
afterEach(() => app.close());

const actor = async (id: string) => (await app.services.auth.loadActor(id))!;
const row = (m: {
  id?: string;
  key: string;
  name: string;
  unit?: string;
  kind?: 'gauge' | 'counter';
  intervalSeconds?: number;
}) => ({ unit: '', ...m });
/** The world's battery has soc (State of charge) and power; this keeps both and changes nothing. */
const current = () =>
  w.metrics.map((m) =>
    row({ id: m.id, key: m.key, name: m.name, unit: m.unit, kind: m.kind, intervalSeconds: m.intervalSeconds }),
  );
const etag = () => `"v${w.device.version}"`;

async function refusal(promise: Promise<unknown>) {
  const err = (await promise.then(
    () => null,
    (e: unknown) => e,
  )) as { statusCode: number; code?: string; errors?: { path: string; message: string }[] } | null;
  expect(err, 'expected the change to be refused').not.toBeNull();
  return err!;
}

const readingCount = async (pk: number) =>
  (await sqlRow<{ n: number }>(app, 'SELECT count(*) AS n FROM readings WHERE metric_pk = ?', [pk]))!.n;
const snapshot = async () => ({
  device: await app.repos.devices.findById(w.device.id),
  metrics: await app.repos.metrics.listByDevice(w.device.id),
  audit: await app.repos.audit.list({ siteId: w.site.id }, 100),
});

describe('devicesService.updateWithMetrics', () => {
  it('When a technician renames a metric, adds one and drops one, then the device and its metrics change together with a new version', async () => {
    const [soc, power] = w.metrics;
    const result = await app.services.devices.updateWithMetrics(
      tech,
      w.device.id,
      {
        name: 'Big Battery',
        metrics: [
          row({ id: soc.id, key: 'soc', name: 'Charge', unit: '%' }),
          row({ key: 'temperature', name: 'Temperature', unit: '°C', intervalSeconds: 30 }),
        ],
      },
      etag(),
    );
    expect(result).toMatchObject({
      name: 'Big Battery',
      version: w.device.version + 1,
      etag: `"v${w.device.version + 1}"`,
    });
    expect(result.metrics).toMatchObject([
      { id: soc.id, key: 'soc', name: 'Charge', unit: '%', kind: 'gauge' },
      {
        id: expect.stringMatching(/^met_/),
        key: 'temperature',
        name: 'Temperature',
        kind: 'gauge',
        intervalSeconds: 30,
      },
    ]);
    expect(await app.repos.metrics.findById(power.id)).toBeNull();
  });

  it('When the edit is saved, then the device, each changed, added and removed metric get an audit row, and unchanged metrics none', async () => {
    const [soc, power] = w.metrics;
    await app.services.devices.updateWithMetrics(
      tech,
      w.device.id,
      {
        metrics: [
          row({ id: soc.id, key: 'soc', name: 'Charge', unit: '%' }),
          row({ key: 'temperature', name: 'Temperature' }),
        ],
      },
      etag(),
    );
    const added = (await app.repos.metrics.listByDevice(w.device.id)).find((m) => m.key === 'temperature')!;
    const audit = await app.repos.audit.list({ siteId: w.site.id }, 10);
    const rows = audit
      .filter((a) => a.actorId === tech.id)
      .map((a) => ({ entityType: a.entityType, entityId: a.entityId, action: a.action }));
    expect(rows).toHaveLength(4);
    expect(rows).toEqual(
      expect.arrayContaining([
        { entityType: 'device', entityId: w.device.id, action: 'update' },
        { entityType: 'metric', entityId: soc.id, action: 'update' },
        { entityType: 'metric', entityId: power.id, action: 'delete' },
        { entityType: 'metric', entityId: added.id, action: 'create' },
      ]),
    );
    const socRow = audit.find((a) => a.entityId === soc.id)!;
    expect(socRow).toMatchObject({
      before: { name: 'State of charge', deviceId: w.device.id },
      after: { name: 'Charge' },
    });
    const deviceRow = audit.find((a) => a.entityId === w.device.id && a.actorId === tech.id)!;
    expect((deviceRow.after as { metrics: { key: string }[] }).metrics.map((m) => m.key)).toEqual([
      'soc',
      'temperature',
    ]);
  });

  it('When a metric is removed, then its readings are gone and the kept metric keeps its readings', async () => {
    const [soc, power] = w.metrics;
    const ts = new Date(Date.now() - 60_000).toISOString();
    await app.services.readings.ingest(tech, [
      { metricId: soc.id, timestamp: ts, value: 50 },
      { metricId: power.id, timestamp: ts, value: 3 },
    ]);
    expect(await readingCount(power.pk)).toBe(1);
    await app.services.devices.updateWithMetrics(
      tech,
      w.device.id,
      { metrics: [row({ id: soc.id, key: 'soc', name: 'State of charge', unit: '%' })] },
      etag(),
    );
    expect(await readingCount(power.pk)).toBe(0);
    expect(await readingCount(soc.pk)).toBe(1);
  });

  it('When two metrics swap their keys, then both are saved (the unique key never collides half-way)', async () => {
    const [soc, power] = w.metrics;
    const result = await app.services.devices.updateWithMetrics(
      tech,
      w.device.id,
      { metrics: [row({ id: soc.id, key: 'power', name: 'A' }), row({ id: power.id, key: 'soc', name: 'B' })] },
      etag(),
    );
    expect(result.metrics.map((m) => [m.id, m.key])).toEqual([
      [soc.id, 'power'],
      [power.id, 'soc'],
    ]);
  });

  it('When a new row reuses the key of a removed metric, then it is accepted', async () => {
    const [soc] = w.metrics;
    const result = await app.services.devices.updateWithMetrics(
      tech,
      w.device.id,
      { metrics: [row({ id: soc.id, key: 'soc', name: 'SoC' }), row({ key: 'power', name: 'New power' })] },
      etag(),
    );
    expect(result.metrics.map((m) => m.key)).toEqual(['soc', 'power']);
    expect(result.metrics[1].id).not.toBe(w.metrics[1].id);
  });

  it('When one row has a duplicate key, then it is 422 at that row and nothing changes, not even the device fields', async () => {
    const before = await snapshot();
    const err = await refusal(
      app.services.devices.updateWithMetrics(
        tech,
        w.device.id,
        {
          name: 'Renamed',
          metrics: [...current(), row({ key: 'extra', name: 'Extra' }), row({ key: 'soc', name: 'Again' })],
        },
        etag(),
      ),
    );
    expect(err.statusCode).toBe(422);
    expect(err.errors).toEqual([{ path: '/metrics/3/key', message: 'Duplicate metric key "soc"' }]);
    expect(await snapshot()).toEqual(before);
  });

  it('When a row names a metric of another device, then it is 422 at its id and that metric is untouched', async () => {
    const other = await app.repos.devices.create(
      w.site.id,
      { name: 'Other', type: 'meter', manufacturer: null, model: null, serialNumber: null },
      [{ key: 'power', name: 'Power', unit: 'kW', kind: 'gauge', intervalSeconds: 60 }],
      null,
    );
    const before = await snapshot();
    const err = await refusal(
      app.services.devices.updateWithMetrics(
        tech,
        w.device.id,
        { name: 'Renamed', metrics: [current()[0], row({ id: other.metrics[0].id, key: 'grid', name: 'Stolen' })] },
        etag(),
      ),
    );
    expect(err.statusCode).toBe(422);
    expect(err.errors).toEqual([{ path: '/metrics/1/id', message: expect.stringMatching(/no longer on the device/) }]);
    expect(await snapshot()).toEqual(before);
    expect(await app.repos.metrics.findById(other.metrics[0].id)).toMatchObject({
      name: 'Power',
      deviceId: other.device.id,
    });
  });

  it('When the list is empty, then it is 422 (a device keeps at least one metric) and nothing changes', async () => {
    const before = await snapshot();
    const err = await refusal(
      app.services.devices.updateWithMetrics(tech, w.device.id, { name: 'Renamed', metrics: [] }, etag()),
    );
    expect(err.statusCode).toBe(422);
    expect(err.errors).toEqual([{ path: '/metrics', message: 'A device needs at least one metric' }]);
    expect(await snapshot()).toEqual(before);
  });

  it('When someone else saved first, then it is 412 and nothing changes', async () => {
    await app.repos.devices.update(w.device.id, { model: 'X1' }, undefined, null);
    const before = await snapshot();
    const err = await refusal(
      app.services.devices.updateWithMetrics(tech, w.device.id, { name: 'Mine', metrics: [current()[0]] }, etag()),
    );
    expect(err.statusCode).toBe(412);
    expect(await snapshot()).toEqual(before);
  });

  it('When a viewer tries it, then it is 403; a non-member gets 404; nothing changes', async () => {
    const before = await snapshot();
    const input = { name: 'Mine', metrics: [current()[0]] };
    expect(
      (await refusal(app.services.devices.updateWithMetrics(await actor(w.viewer.id), w.device.id, input, etag())))
        .statusCode,
    ).toBe(403);
    expect(
      await refusal(app.services.devices.updateWithMetrics(await actor(w.outsider.id), w.device.id, input, etag())),
    ).toMatchObject({ statusCode: 404, code: 'SW_DEVICE_NOT_FOUND' });
    expect(await snapshot()).toEqual(before);
  });
});

describe('devicesRepository.updateWithMetrics', () => {
  it('When the same metric id is listed twice, then the change is refused', async () => {
    const [soc] = w.metrics;
    const m = { key: 'soc', name: 'SoC', unit: '%', kind: 'gauge' as const, intervalSeconds: 60 };
    const result = await app.repos.devices.updateWithMetrics(
      w.device.id,
      {},
      [
        { id: soc.id, ...m },
        { id: soc.id, ...m, key: 'soc2' },
      ],
      undefined,
      null,
    );
    expect(result).toEqual({ status: 'invalid', problems: [{ index: 1, problem: 'duplicate_id' }] });
  });

  it('When the database fails half-way (after the delete and the rename), then the whole edit is rolled back', async () => {
    const [soc, power] = w.metrics;
    // A trigger that refuses one insert stands in for any failure inside the transaction.
    if (app.pg) {
      await sqlRun(
        app,
        `CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$`,
      );
      await sqlRun(app, 'DROP TRIGGER IF EXISTS boom ON metrics');
      await sqlRun(
        app,
        "CREATE TRIGGER boom BEFORE INSERT ON metrics FOR EACH ROW WHEN (NEW.key = 'boom') EXECUTE FUNCTION boom()",
      );
    } else
      await sqlRun(
        app,
        "CREATE TRIGGER boom BEFORE INSERT ON metrics WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END",
      );
    const before = await snapshot();
    const m = { unit: '', kind: 'gauge' as const, intervalSeconds: 60 };
    const change = app.repos.devices.updateWithMetrics(
      w.device.id,
      { name: 'Renamed' },
      [
        { id: soc.id, ...m, key: 'charge', name: 'Charge' },
        { ...m, key: 'boom', name: 'Boom' },
      ],
      undefined,
      null,
    );
    await expect(change).rejects.toThrow('boom');
    expect(await snapshot()).toEqual(before);
    expect(await app.repos.metrics.findById(power.id)).not.toBeNull();
  });

  it('When the device does not exist, then it says so', async () => {
    expect(
      await app.repos.devices.updateWithMetrics(
        'dev_missing',
        {},
        [{ key: 'a', name: 'A', unit: '', kind: 'gauge', intervalSeconds: 60 }],
        undefined,
        null,
      ),
    ).toEqual({ status: 'not_found' });
  });
});
