import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { MQTT_DEFAULTS } from '../../src/config.js';
import { buildTestApp, createDevice, createWorld, injectAs, onPostgres } from '../helpers/app.js';
import { sqlOf } from '../helpers/sql.js';
import * as helpers from './helpers.js';
import { closeClients, closeOf, refusedPublish, T0, topicOf, type World } from './helpers.js';

let app: App;
let w: World;

beforeEach(async () => {
  // A batch window longer than a PUBACK's round trip: a PUBACK sent before the commit would be seen.
  app = await buildTestApp({ mqtt: { ...MQTT_DEFAULTS, port: 0, batchMs: 25 } });
  w = await createWorld(app);
});
afterEach(async () => {
  await closeClients();
  await app.close();
});

const keyFor = (deviceId?: string) => helpers.keyFor(app, w, deviceId);
const connect = (username: string) => helpers.connect(`mqtt://127.0.0.1:${app.mqtt.port}`, username);
const stored = () => helpers.stored(app);

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

  it('When many devices publish at QoS 1 at once, then they share transactions and each PUBACK comes after its readings are stored', async () => {
    // A window far longer than a PUBACK's round trip, so that an early PUBACK cannot go unseen.
    await app.close();
    app = await buildTestApp({ mqtt: { ...MQTT_DEFAULTS, port: 0, batchMs: 300, connectionsPerKey: 20 } });
    w = await createWorld(app);
    const { key } = await keyFor();
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(key)));
    // On SQLite the read is synchronous in the PUBACK's callback, so nothing can commit in between;
    // PostgreSQL can only be asked asynchronously, which still proves the value was there by then.
    const readingAt = onPostgres
      ? (ts: number) => sqlOf(app).value('SELECT value FROM readings WHERE ts = ?', ts)
      : (ts: number) => app.db.$client.prepare('SELECT value FROM readings WHERE ts = ?').pluck().get(ts);
    const seenAtPuback = await Promise.all(
      clients.map(
        (client, i) =>
          new Promise<unknown>((resolve, reject) =>
            client.publish(
              topicOf(w.device.id),
              JSON.stringify({ ts: T0 + i, values: { soc: i } }),
              { qos: 1 },
              (err) => (err ? reject(err) : resolve(readingAt(T0 + i))),
            ),
          ),
      ),
    );
    expect(seenAtPuback).toEqual(clients.map((_, i) => i));
    expect(app.mqtt.counts.stored).toBe(20);
    expect(app.mqtt.batches.messages).toBe(20);
    expect(app.mqtt.batches.batches).toBeLessThan(20);
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

  it('When a message is sent at QoS 2, then its readings are stored by the time the exchange completes', async () => {
    const { key } = await keyFor();
    const client = await connect(key);
    await client.publishAsync(topicOf(w.device.id), JSON.stringify({ ts: T0, values: { soc: 33 } }), { qos: 2 });
    expect(await stored()).toEqual([{ key: 'soc', ts: T0, value: 33 }]);
  });

  it('When an MQTT 3.1.1 client subscribes, then the SUBACK refuses it (0x80)', async () => {
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
