import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp, createDevice, createWorld, injectAs } from '../helpers/app.js';
import { sqlOf } from '../helpers/sql.js';

type World = Awaited<ReturnType<typeof createWorld>>;
let app: App;
let w: World;
const clients: MqttClient[] = [];

beforeEach(async () => {
  app = await buildTestApp({ mqtt: { port: 0, host: '127.0.0.1' } });
  w = await createWorld(app);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await app.close();
});

const T0 = Date.now() - 60_000;
const topicOf = (deviceId: string) => `sitewatt/devices/${deviceId}/telemetry`;

async function keyFor(deviceId?: string) {
  const res = await injectAs(app, w.admin, {
    method: 'POST',
    url: `/api/sites/${w.site.id}/ingest-keys`,
    payload: { name: 'Gateway', ...(deviceId ? { deviceId } : {}) },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; key: string };
}
async function connect(username: string) {
  const client = await connectAsync(`mqtt://127.0.0.1:${app.mqtt.port}`, {
    username,
    password: 'ignored',
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 2_000,
  });
  clients.push(client);
  return client;
}
const stored = () =>
  sqlOf(app).all<{ key: string; ts: number; value: number }>(
    'SELECT m.key, r.ts, r.value FROM readings r JOIN metrics m ON m.pk = r.metric_pk ORDER BY r.ts, m.key',
  );
const closeOf = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));
/** Publishes at QoS 1 a message the broker refuses: it closes the connection, with no PUBACK. */
async function refusedPublish(client: MqttClient, topic: string, payload: string) {
  const closed = closeOf(client);
  let acked = false;
  client.publish(topic, payload, { qos: 1 }, (err) => (acked = !err));
  await closed;
  return { acked };
}

describe('MQTT broker (MQTT_PORT)', () => {
  it('When a site key publishes a sample at QoS 1, then the readings are stored by the time the PUBACK arrives', async () => {
    const { key } = await keyFor();
    const client = await connect(key);
    await client.publishAsync(topicOf(w.device.id), JSON.stringify({ ts: T0, values: { soc: 50, power: -2.5 } }), {
      qos: 1,
    });
    expect(await stored()).toEqual([
      { key: 'power', ts: T0, value: -2.5 },
      { key: 'soc', ts: T0, value: 50 },
    ]);
    const metric = await injectAs(app, w.admin, { method: 'GET', url: `/api/metrics/${w.metrics[0].id}` });
    expect(metric.json().latest).toMatchObject({ value: 50 });
    expect(app.mqtt.counts.stored).toBe(1);
  });

  it('When a device key publishes bare values on sitewatt/devices/me/telemetry, then they are stored for its device', async () => {
    const { key } = await keyFor(w.device.id);
    const client = await connect(key);
    await client.publishAsync('sitewatt/devices/me/telemetry', JSON.stringify({ soc: 42 }), { qos: 1 });
    expect(await stored()).toMatchObject([{ key: 'soc', value: 42 }]);
  });

  it('When the username is not a valid key, then CONNACK refuses it with "bad user name or password" (4)', async () => {
    await expect(connect('swi_not-a-key')).rejects.toMatchObject({ code: 4 });
    await expect(connect('')).rejects.toMatchObject({ code: 4 });
  });

  it('When a key publishes on another topic, another site\'s device or "me" with a site key, then it is disconnected and nothing is stored', async () => {
    const { key } = await keyFor();
    const other = await createDevice(app, w.otherSite.id);
    for (const topic of ['sitewatt/devices/x', topicOf(other.device.id), 'sitewatt/devices/me/telemetry']) {
      const client = await connect(key);
      expect(await refusedPublish(client, topic, JSON.stringify({ soc: 1 }))).toEqual({ acked: false });
    }
    expect(await stored()).toEqual([]);
    expect(app.mqtt.counts.refused).toBe(3);
  });

  it('When a device key names another device of its site, then it is disconnected and nothing is stored', async () => {
    const { key } = await keyFor(w.device.id);
    const sibling = await createDevice(app, w.site.id);
    const client = await connect(key);
    await refusedPublish(client, topicOf(sibling.device.id), JSON.stringify({ soc: 1 }));
    expect(await stored()).toEqual([]);
  });

  it('When a payload is not JSON or not valid telemetry, then nothing of it is stored and the client is disconnected', async () => {
    const { key } = await keyFor();
    for (const payload of [
      'not json',
      JSON.stringify({ soc: 50, voltage: 230 }),
      JSON.stringify({ ts: T0, values: { soc: 'x' } }),
    ]) {
      const client = await connect(key);
      expect(await refusedPublish(client, topicOf(w.device.id), payload)).toEqual({ acked: false });
    }
    expect(await stored()).toEqual([]);
    // The connection that follows a refused message works.
    const client = await connect(key);
    await client.publishAsync(topicOf(w.device.id), JSON.stringify({ soc: 7 }), { qos: 1 });
    expect(await stored()).toMatchObject([{ key: 'soc', value: 7 }]);
  });

  it('When a client asks for MQTT 5, then CONNACK refuses the protocol version', async () => {
    const { key } = await keyFor();
    await expect(
      connectAsync(`mqtt://127.0.0.1:${app.mqtt.port}`, { username: key, protocolVersion: 5, reconnectPeriod: 0 }),
    ).rejects.toThrow();
    expect(app.mqtt.connected()).toBe(0);
  });

  it('When a message is sent at QoS 2, then its readings are stored by the time the exchange completes', async () => {
    const { key } = await keyFor();
    const client = await connect(key);
    await client.publishAsync(topicOf(w.device.id), JSON.stringify({ ts: T0, values: { soc: 33 } }), { qos: 2 });
    expect(await stored()).toEqual([{ key: 'soc', ts: T0, value: 33 }]);
  });

  it('When a client subscribes, then the SUBACK refuses it (0x80)', async () => {
    const { key } = await keyFor();
    const client = await connect(key);
    const granted = await client.subscribeAsync(topicOf(w.device.id), { qos: 1 }).catch((err: unknown) => err);
    expect(JSON.stringify(granted)).toContain('128');
  });

  it("When a connected client's key is revoked through the API, then it is disconnected within a second", async () => {
    const { id, key } = await keyFor();
    const client = await connect(key);
    const keep = await connect((await keyFor()).key);
    expect(app.mqtt.connected()).toBe(2);
    const closed = closeOf(client);
    const start = Date.now();
    const res = await injectAs(app, w.admin, { method: 'DELETE', url: `/api/ingest-keys/${id}` });
    expect(res.statusCode).toBe(204);
    await closed;
    expect(Date.now() - start).toBeLessThan(1_000);
    expect(keep.connected).toBe(true);
    await expect(connect(key)).rejects.toMatchObject({ code: 4 });
  });

  it.skipIf(!existsSync('/usr/bin/mosquitto_pub'))(
    "When Debian's mosquitto_pub publishes at QoS 1, then it exits 0 after the readings are stored",
    async () => {
      const { key } = await keyFor();
      await promisify(execFile)('/usr/bin/mosquitto_pub', [
        ...['-h', '127.0.0.1', '-p', String(app.mqtt.port), '-V', 'mqttv311', '-q', '1'],
        ...['-u', key, '-t', topicOf(w.device.id), '-m', JSON.stringify({ ts: T0, values: { soc: 61 } })],
      ]);
      expect(await stored()).toEqual([{ key: 'soc', ts: T0, value: 61 }]);
    },
  );
});
