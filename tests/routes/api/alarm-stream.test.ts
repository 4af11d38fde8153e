// GET /api/alarms/stream over a real socket: who hears which alarm changes, across processes too.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs, type TestUser } from '../../helpers/app.js';
import { openSse, type SseStream } from '../../helpers/sse.js';

const MIN = 60_000;
const T0 = Math.floor((Date.now() - 2 * 3600_000) / MIN) * MIN;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

let dir: string;
const apps: App[] = [];
const streams: SseStream[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sitewatt-alarm-stream-'));
});
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await Promise.all(apps.splice(0).map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(databasePath = ':memory:') {
  const app = await buildTestApp({ databasePath });
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port };
}

async function listen(port: number, user: TestUser, lastEventId?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${user.token}` };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const s = await openSse(port, '/api/alarms/stream', headers);
  streams.push(s);
  return s;
}

async function send(app: App, user: TestUser, metricId: string, readings: [number, number][]) {
  const res = await injectAs(app, user, {
    method: 'POST',
    url: '/api/readings',
    payload: { readings: readings.map(([m, value]) => ({ metricId, timestamp: at(m), value })) },
  });
  expect(res.statusCode, res.body).toBe(200);
}

const payload = (e: { data?: string }) => JSON.parse(e.data!) as { type: string; alarm: Record<string, unknown> };

describe('GET /api/alarms/stream', () => {
  it('When a reading raises an alarm and a technician acknowledges it, then the site members hear both and an outsider hears nothing', async () => {
    const { app, port } = await start();
    const w = await createWorld(app);
    const soc = w.metrics.find((m) => m.key === 'soc')!;
    const rule = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/metrics/${soc.id}/alarm-rules`,
      payload: { condition: 'below', threshold: 10, severity: 'major' },
    });
    expect(rule.statusCode).toBe(201);
    const tech = await listen(port, w.technician);
    const viewer = await listen(port, w.viewer);
    const outsider = await listen(port, w.outsider);
    expect(tech.status).toBe(200);
    expect(tech.headers['content-type']).toMatch(/^text\/event-stream/);

    await send(app, w.technician, soc.id, [[0, 5]]);
    const [raised] = await viewer.waitFor('alarm', 1);
    expect(payload(raised)).toMatchObject({ type: 'raised', alarm: { severity: 'major', state: 'active' } });
    const alarmId = payload(raised).alarm.id as string;
    const ack = await injectAs(app, w.technician, {
      method: 'POST',
      url: `/api/alarms/${alarmId}/acknowledge`,
      payload: {},
    });
    expect(ack.statusCode).toBe(200);
    const events = await tech.waitFor('alarm', 2);
    expect(events.map((e) => payload(e).type)).toEqual(['raised', 'acknowledged']);
    expect(Number(events[1].id)).toBeGreaterThan(Number(events[0].id));
    await viewer.waitFor('alarm', 2);
    expect(outsider.events).toEqual([]);
  });

  it('When another process on the same database raises an alarm, then a stream on this one hears it; Last-Event-ID resumes', async () => {
    const databasePath = join(dir, 'shared.db');
    const a = await start(databasePath);
    const b = await start(databasePath);
    const w = await createWorld(a.app);
    const soc = w.metrics.find((m) => m.key === 'soc')!;
    await injectAs(a.app, w.admin, {
      method: 'POST',
      url: `/api/metrics/${soc.id}/alarm-rules`,
      payload: { condition: 'above', threshold: 90, severity: 'minor' },
    });
    const onA = await listen(a.port, w.viewer);
    await send(b.app, w.technician, soc.id, [[0, 95]]);
    const [raised] = await onA.waitFor('alarm', 1);
    expect(payload(raised).type).toBe('raised');

    await send(b.app, w.technician, soc.id, [[1, 50]]);
    const resumed = await listen(a.port, w.viewer, raised.id);
    const [cleared] = await resumed.waitFor('alarm', 1);
    expect(payload(cleared)).toMatchObject({ type: 'cleared', alarm: { state: 'cleared' } });
    const unknown = await listen(a.port, w.viewer, '999999');
    await unknown.waitFor('reset', 1);
  });

  it('When someone signed out asks for the stream, then 401', async () => {
    const { app } = await start();
    const res = await app.inject({ url: '/api/alarms/stream' });
    expect(res.statusCode).toBe(401);
  });
});
