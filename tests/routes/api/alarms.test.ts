import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createDevice, createWorld, injectAs, type TestUser } from '../../helpers/app.js';
import { sqlRow, sqlRows } from '../../helpers/sql.js';

const MIN = 60_000;
// Two hours ago on a whole minute: readings stay in the past whatever the test adds.
const T0 = Math.floor((Date.now() - 2 * 3600_000) / MIN) * MIN;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(async () => app.close());

const soc = () => w.metrics.find((m) => m.key === 'soc')!;

async function send(user: TestUser, metricId: string, readings: [number, number][]) {
  const res = await injectAs(app, user, {
    method: 'POST',
    url: '/api/readings',
    payload: { readings: readings.map(([m, value]) => ({ metricId, timestamp: at(m), value })) },
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function addRule(user: TestUser, metricId: string, body: Record<string, unknown>) {
  return injectAs(app, user, { method: 'POST', url: `/api/metrics/${metricId}/alarm-rules`, payload: body });
}

async function alarms(user: TestUser, query = '') {
  const res = await injectAs(app, user, { url: `/api/alarms${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: Record<string, unknown>[]; nextCursor: string | null }>();
}

describe('POST /api/metrics/:metricId/alarm-rules', () => {
  it('When a technician adds a rule, then it is stored, audited and readable by a viewer', async () => {
    const res = await addRule(w.technician, soc().id, {
      condition: 'below',
      threshold: 10,
      clearThreshold: 15,
      forSeconds: 300,
      severity: 'major',
    });
    expect(res.statusCode, res.body).toBe(201);
    const rule = res.json();
    expect(rule).toMatchObject({ metricId: soc().id, summary: 'below 10 (clears at 15) for 300 s', enabled: true });
    expect(res.headers.location).toBe(`/api/alarm-rules/${rule.id}`);
    const read = await injectAs(app, w.viewer, { url: `/api/alarm-rules/${rule.id}` });
    expect(read.statusCode).toBe(200);
    const audit = await sqlRows(app, 'SELECT action, actor_id AS "actorId" FROM audit_log WHERE entity_id = ?', [
      rule.id,
    ]);
    expect(audit).toEqual([{ action: 'create', actorId: w.technician.id }]);
  });

  it("When a viewer adds a rule, then 403; an outsider gets the metric's 404; nothing is stored", async () => {
    const body = { condition: 'above', threshold: 1, severity: 'minor' };
    expect((await addRule(w.viewer, soc().id, body)).statusCode).toBe(403);
    const hidden = await addRule(w.outsider, soc().id, body);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().code).toBe('METRIC_NOT_FOUND');
    expect(await sqlRow(app, 'SELECT count(*) AS n FROM alarm_rules')).toEqual({ n: 0 });
  });

  it('When the fields do not fit the condition, then 422 names each field', async () => {
    const res = await addRule(w.technician, soc().id, { condition: 'below', low: 1, severity: 'minor' });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([
      { path: '/threshold', message: 'Required for "below"' },
      { path: '/low', message: 'Not used by "below"; leave it out' },
    ]);
  });
});

describe('Alarm evaluation at ingestion', () => {
  it('When SoC falls below 10 % for 5 minutes and recovers past 15 %, then exactly one alarm raises, peaks and clears', async () => {
    await addRule(w.technician, soc().id, {
      condition: 'below',
      threshold: 10,
      clearThreshold: 15,
      forSeconds: 300,
      severity: 'critical',
    });
    await send(w.technician, soc().id, [
      [0, 30],
      [1, 9],
      [3, 8],
    ]);
    expect((await alarms(w.viewer)).items).toEqual([]);
    await send(w.technician, soc().id, [
      [6, 6],
      [7, 5],
      [8, 12],
      [9, 7],
    ]);
    const [open] = (await alarms(w.viewer)).items;
    expect(open).toMatchObject({
      state: 'active',
      severity: 'critical',
      raisedAt: at(6),
      lastSeen: at(9),
      peakValue: 5,
      metric: { id: soc().id },
      device: { id: w.device.id, name: 'Main Battery' },
      site: { id: w.site.id, name: 'Main Site' },
      clearedAt: null,
    });
    await send(w.technician, soc().id, [[10, 16]]);
    const [cleared] = (await alarms(w.viewer)).items;
    expect(cleared).toMatchObject({ id: open.id, state: 'cleared', clearedAt: at(10), acknowledgedAt: null });
    // Cleared by the data but nobody acknowledged it: it stays in the open list until someone does.
    expect((await alarms(w.viewer, '?state=open')).items.map((a) => a.id)).toEqual([open.id]);
    const ack = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/alarms/${open.id}/acknowledge`,
      payload: { comment: 'Replaced the fuse' },
    });
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json()).toMatchObject({ acknowledgedBy: { id: w.technician.id }, ackComment: 'Replaced the fuse' });
    expect((await alarms(w.viewer, '?state=open')).items).toEqual([]);
  });

  it('When a late reading arrives below the threshold, then it is stored but raises nothing', async () => {
    await addRule(w.technician, soc().id, { condition: 'below', threshold: 10, severity: 'minor' });
    await send(w.technician, soc().id, [[10, 50]]);
    await send(w.technician, soc().id, [[5, 1]]);
    expect((await alarms(w.admin)).items).toEqual([]);
  });

  it("When a site-wide rule covers a device type's key, then a battery added later is covered too", async () => {
    const res = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/sites/${w.site.id}/alarm-rules`,
      payload: { deviceType: 'battery', metricKey: 'soc', condition: 'below', threshold: 10, severity: 'warning' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { metrics } = await createDevice(app, w.site.id, { name: 'Second Battery', type: 'battery' });
    await send(w.technician, metrics.find((m) => m.key === 'soc')!.id, [[0, 5]]);
    await send(w.technician, soc().id, [[0, 50]]);
    expect((await alarms(w.viewer)).items.map((a) => (a.device as { name: string }).name)).toEqual(['Second Battery']);
  });

  it('When the same readings are sent twice, then there is still one alarm', async () => {
    await addRule(w.technician, soc().id, { condition: 'below', threshold: 10, severity: 'minor' });
    await send(w.technician, soc().id, [[0, 5]]);
    await send(w.technician, soc().id, [[0, 5]]);
    await send(w.technician, soc().id, [[1, 4]]);
    const { items } = await alarms(w.admin);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ raisedAt: at(0), lastSeen: at(1), peakValue: 4 });
  });
});

describe('no_data rules', () => {
  it('When a metric is silent past its minutes, then the sweep raises once, and the next reading clears it', async () => {
    await addRule(w.technician, soc().id, { condition: 'no_data', noDataMinutes: 15, severity: 'major' });
    const now = Date.now();
    expect(await app.services.alarms.sweepNoData(now + 10 * MIN)).toBe(0);
    expect(await app.services.alarms.sweepNoData(now + 16 * MIN)).toBe(1);
    expect(await app.services.alarms.sweepNoData(now + 17 * MIN)).toBe(0);
    const [open] = (await alarms(w.viewer, '?state=active')).items;
    expect(open).toMatchObject({ summary: 'no data for 15 min', severity: 'major' });
    await injectAs(app, w.technician, {
      method: 'POST',
      url: '/api/readings',
      payload: { readings: [{ metricId: soc().id, timestamp: new Date().toISOString(), value: 50 }] },
    });
    expect((await alarms(w.viewer)).items[0]).toMatchObject({
      id: open.id,
      state: 'cleared',
      clearReason: 'Data arrived',
    });
  });
});

describe('POST /api/alarms/:alarmId/clear', () => {
  it('When a technician clears by hand, then the reason is kept; a viewer may not clear or acknowledge', async () => {
    await addRule(w.technician, soc().id, { condition: 'above', threshold: 90, severity: 'minor' });
    await send(w.technician, soc().id, [[0, 95]]);
    const [open] = (await alarms(w.viewer)).items;
    for (const action of ['clear', 'acknowledge'])
      expect(
        (
          await injectAs(app, w.viewer, {
            method: 'POST',
            url: `/api/alarms/${open.id}/${action}`,
            payload: { reason: 'x' },
          })
        ).statusCode,
      ).toBe(action === 'clear' ? 403 : 422);
    const outsider = await injectAs(app, w.outsider, {
      method: 'POST',
      url: `/api/alarms/${open.id}/clear`,
      payload: { reason: 'x' },
    });
    expect(outsider.statusCode).toBe(404);
    const res = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/alarms/${open.id}/clear`,
      payload: { reason: 'Sensor swapped' },
    });
    expect(res.json()).toMatchObject({ state: 'cleared', clearReason: 'Sensor swapped', clearedBy: w.technician.id });
    const again = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/alarms/${open.id}/clear`,
      payload: { reason: 'Sensor swapped' },
    });
    expect(again.statusCode).toBe(409);
  });
});

describe('PATCH and DELETE /api/alarm-rules/:ruleId', () => {
  it('When the condition changes, then the open alarm clears ("Rule changed") and the new rule starts over; a severity change carries over', async () => {
    const rule = (
      await addRule(w.technician, soc().id, { condition: 'below', threshold: 10, severity: 'minor' })
    ).json();
    await send(w.technician, soc().id, [[0, 5]]);
    const sev = await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/alarm-rules/${rule.id}`,
      payload: { severity: 'critical' },
    });
    expect(sev.statusCode, sev.body).toBe(200);
    expect((await alarms(w.viewer)).items[0]).toMatchObject({ state: 'active', severity: 'critical' });
    const changed = await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/alarm-rules/${rule.id}`,
      payload: { threshold: 3 },
    });
    expect(changed.json()).toMatchObject({ threshold: 3, summary: 'below 3' });
    expect((await alarms(w.viewer)).items[0]).toMatchObject({ state: 'cleared', clearReason: 'Rule changed' });
    await send(w.technician, soc().id, [[1, 2]]);
    expect((await alarms(w.viewer, '?state=active')).items).toMatchObject([{ summary: 'below 3', raisedAt: at(1) }]);
  });

  it('When a change leaves the rule invalid, then 422 and the rule is unchanged', async () => {
    const rule = (
      await addRule(w.technician, soc().id, { condition: 'below', threshold: 10, severity: 'minor' })
    ).json();
    const res = await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/alarm-rules/${rule.id}`,
      payload: { clearThreshold: 5 },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([
      { path: '/clearThreshold', message: 'Must be at least the threshold (it clears above it)' },
    ]);
  });

  it('When a rule is disabled, then readings raise nothing until it is enabled again', async () => {
    const rule = (
      await addRule(w.technician, soc().id, { condition: 'below', threshold: 10, severity: 'minor' })
    ).json();
    const patch = (enabled: boolean) =>
      injectAs(app, w.technician, { method: 'PATCH', url: `/api/alarm-rules/${rule.id}`, payload: { enabled } });
    expect((await patch(false)).json()).toMatchObject({ enabled: false });
    await send(w.technician, soc().id, [[0, 5]]);
    expect((await alarms(w.admin)).items).toEqual([]);
    await patch(true);
    await send(w.technician, soc().id, [[1, 5]]);
    expect((await alarms(w.admin)).items).toHaveLength(1);
  });

  it('When a rule is deleted, then its alarms stay in the history, cleared, and the rule is gone', async () => {
    const rule = (
      await addRule(w.technician, soc().id, { condition: 'below', threshold: 10, severity: 'minor' })
    ).json();
    await send(w.technician, soc().id, [[0, 5]]);
    const del = await injectAs(app, w.technician, { method: 'DELETE', url: `/api/alarm-rules/${rule.id}` });
    expect(del.statusCode).toBe(204);
    expect((await injectAs(app, w.technician, { url: `/api/alarm-rules/${rule.id}` })).statusCode).toBe(404);
    expect((await alarms(w.viewer)).items).toMatchObject([
      { ruleId: null, state: 'cleared', clearReason: 'Rule deleted' },
    ]);
    const audit = await sqlRows(app, 'SELECT action FROM audit_log WHERE entity_id = ? ORDER BY id', [rule.id]);
    expect(audit).toEqual([{ action: 'create' }, { action: 'delete' }]);
  });
});

describe('GET /api/alarms', () => {
  it('When there are more alarms than the limit, then pages follow newest first, and filters narrow them', async () => {
    const rules = [];
    for (const [key, severity] of [
      ['soc', 'critical'],
      ['power', 'minor'],
    ] as const) {
      const metric = w.metrics.find((m) => m.key === key)!;
      rules.push((await addRule(w.technician, metric.id, { condition: 'above', threshold: -1e9, severity })).json());
      await send(w.technician, metric.id, [[key === 'soc' ? 1 : 2, 1]]);
    }
    const first = await alarms(w.viewer, '?limit=1');
    expect(first.items.map((a) => a.raisedAt)).toEqual([at(2)]);
    const second = await alarms(w.viewer, `?limit=1&cursor=${first.nextCursor}`);
    expect(second).toMatchObject({ items: [{ raisedAt: at(1) }], nextCursor: null });
    expect((await alarms(w.viewer, '?severity=critical')).items.map((a) => a.severity)).toEqual(['critical']);
    expect((await alarms(w.viewer, `?from=${at(2)}`)).items).toHaveLength(1);
    expect((await alarms(w.viewer, `?deviceId=${w.device.id}&state=active`)).items).toHaveLength(2);
    expect((await alarms(w.outsider)).items).toEqual([]);
    const hidden = await injectAs(app, w.outsider, { url: `/api/alarms?siteId=${w.site.id}` });
    expect(hidden.statusCode).toBe(404);
    const bad = await injectAs(app, w.viewer, { url: '/api/alarms?cursor=nonsense' });
    expect(bad.statusCode).toBe(400);
  });
});

describe('no_data rules across a site', () => {
  it('When a site-wide no_data rule covers batteries, then each silent battery raises its own alarm, and a hand clear waits the minutes again', async () => {
    const res = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/sites/${w.site.id}/alarm-rules`,
      payload: { deviceType: 'battery', metricKey: 'soc', condition: 'no_data', noDataMinutes: 5, severity: 'minor' },
    });
    expect(res.statusCode, res.body).toBe(201);
    await createDevice(app, w.site.id, { name: 'Second Battery', type: 'battery' });
    await createDevice(app, w.site.id, { name: 'Inverter', type: 'inverter' });
    const now = Date.now();
    expect(await app.services.alarms.sweepNoData(now + 6 * MIN)).toBe(2);
    const [first] = (await alarms(w.viewer)).items;
    const cleared = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/alarms/${first.id}/clear`,
      payload: { reason: 'Gateway rebooted' },
    });
    expect(cleared.statusCode).toBe(200);
    // The clear counts as now: the silence must last 5 more minutes before it raises again.
    expect(await app.services.alarms.sweepNoData(Date.now() + 4 * MIN)).toBe(0);
    expect(await app.services.alarms.sweepNoData(Date.now() + 6 * MIN)).toBe(1);
  });
});
