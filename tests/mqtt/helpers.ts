// What the MQTT tests share: an ingest key through the API, a client that is closed after the test,
// what the readings table holds, and a refused publish.
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import { createWorld, injectAs } from '../helpers/app.js';
import { sqlOf } from '../helpers/sql.js';

export type World = Awaited<ReturnType<typeof createWorld>>;

export const T0 = Date.now() - 60_000;
export const topicOf = (deviceId: string) => `sitewatt/devices/${deviceId}/telemetry`;

/** Clients opened by connect(), for afterEach to close. */
export const clients: MqttClient[] = [];
export const closeClients = () => Promise.all(clients.splice(0).map((c) => c.endAsync(true)));

export async function keyFor(app: App, w: World, deviceId?: string) {
  const res = await injectAs(app, w.admin, {
    method: 'POST',
    url: `/api/sites/${w.site.id}/ingest-keys`,
    payload: { name: 'Gateway', ...(deviceId ? { deviceId } : {}) },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; key: string };
}

export async function connect(url: string, username: string, options: IClientOptions = {}) {
  const client = await connectAsync(url, {
    username,
    password: 'ignored',
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 2_000,
    ...options,
  });
  clients.push(client);
  return client;
}

export const stored = (app: App) =>
  sqlOf(app).all<{ key: string; ts: number; value: number }>(
    'SELECT m.key, r.ts, r.value FROM readings r JOIN metrics m ON m.pk = r.metric_pk ORDER BY r.ts, m.key',
  );

export const closeOf = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

/** Publishes at QoS 1 a message the broker refuses: it closes the connection, with no PUBACK. */
export async function refusedPublish(client: MqttClient, topic: string, payload: string | Buffer) {
  const closed = closeOf(client);
  let acked = false;
  client.publish(topic, payload, { qos: 1 }, (err) => (acked = !err));
  await closed;
  return { acked };
}
