import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  connect as mqttConnect,
  type IClientOptions,
  type IConnackPacket,
  type IDisconnectPacket,
  type MqttClient,
  type Packet,
} from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { MQTT_DEFAULTS, type MqttConfig } from '../../src/config.js';
import { buildTestApp, createDevice, createWorld, injectAs } from '../helpers/app.js';
import * as helpers from './helpers.js';
import { closeClients, T0, topicOf, type World } from './helpers.js';

let app: App;
let w: World;

async function start(limits: Partial<MqttConfig> = {}) {
  app = await buildTestApp({ mqtt: { ...MQTT_DEFAULTS, port: 0, batchMs: 25, ...limits } });
  w = await createWorld(app);
}
afterEach(async () => {
  await closeClients();
  await app.close();
});

const keyFor = (deviceId?: string) => helpers.keyFor(app, w, deviceId);
const url = () => `mqtt://127.0.0.1:${app.mqtt.port}`;
const connect5 = (username: string, options: IClientOptions = {}) =>
  helpers.connect(url(), username, { protocolVersion: 5, ...options });
const sample = (i: number, values: Record<string, unknown> = { soc: i }) => JSON.stringify({ ts: T0 + i, values });

/** The acknowledgements (PUBACK, PUBREC) a client receives, to see each message's reason code and count them. */
function acksOf(client: MqttClient) {
  const acks: { cmd: string; messageId?: number; reasonCode?: number; reasonString?: string }[] = [];
  client.on('packetreceive', (packet: Packet) => {
    if (packet.cmd === 'puback' || packet.cmd === 'pubrec')
      acks.push({
        cmd: packet.cmd,
        messageId: packet.messageId,
        reasonCode: packet.reasonCode,
        reasonString: packet.properties?.reasonString,
      });
  });
  return acks;
}

/** Publishes and resolves with the reason code the broker answered (0 for success). */
const publishCode = (client: MqttClient, topic: string, payload: string, qos: 1 | 2 = 1) =>
  client.publishAsync(topic, payload, { qos }).then(
    () => 0,
    (err: { code?: number }) => err.code,
  );

const disconnectOf = (client: MqttClient) =>
  new Promise<IDisconnectPacket>((resolve) => client.once('disconnect', resolve));

describe('MQTT 5 on the built-in broker', () => {
  it('When an MQTT 5 client publishes a sample at QoS 1, then the readings are stored by the time the PUBACK (0x00) arrives', async () => {
    await start();
    const { key } = await keyFor();
    const client = await connect5(key);
    const acks = acksOf(client);
    await client.publishAsync(topicOf(w.device.id), sample(0, { soc: 50, power: -2.5 }), { qos: 1 });
    expect(await helpers.stored(app)).toEqual([
      { key: 'power', ts: T0, value: -2.5 },
      { key: 'soc', ts: T0, value: 50 },
    ]);
    expect(acks).toMatchObject([{ cmd: 'puback', reasonCode: 0 }]);
    expect(app.mqtt.counts.stored).toBe(1);
  });

  it('When a payload is not JSON or not valid telemetry, then its PUBACK says 0x99 with a reason, nothing is stored and the connection stays up', async () => {
    await start();
    const { key } = await keyFor();
    const client = await connect5(key);
    const acks = acksOf(client);
    for (const payload of ['not json', sample(0, { soc: 50, voltage: 230 }), sample(1, { soc: 'x' })])
      expect(await publishCode(client, topicOf(w.device.id), payload)).toBe(0x99);
    expect(acks.map((a) => a.reasonString)).toEqual([
      'The payload is not JSON; nothing was stored',
      'Unknown metric keys on this device: voltage; nothing was stored',
      'Invalid telemetry; nothing was stored',
    ]);
    expect(await helpers.stored(app)).toEqual([]);
    expect(client.connected).toBe(true);
    // Each refused message has one acknowledgement only, and the next message on the connection is stored.
    expect(await publishCode(client, topicOf(w.device.id), sample(2))).toBe(0);
    expect(acks.map((a) => a.reasonCode)).toEqual([0x99, 0x99, 0x99, 0]);
    expect(new Set(acks.map((a) => a.messageId)).size).toBe(4);
    expect(await helpers.stored(app)).toMatchObject([{ key: 'soc', value: 2 }]);
    expect(app.mqtt.counts).toEqual({ stored: 1, refused: 3 });
  });

  it('When a bad payload is sent at QoS 2, then its PUBREC says 0x99 and the exchange ends there', async () => {
    await start();
    const { key } = await keyFor();
    const client = await connect5(key);
    const acks = acksOf(client);
    expect(await publishCode(client, topicOf(w.device.id), 'not json', 2)).toBe(0x99);
    expect(acks).toMatchObject([{ cmd: 'pubrec', reasonCode: 0x99 }]);
    expect(await publishCode(client, topicOf(w.device.id), sample(0), 2)).toBe(0);
    expect(acks.map((a) => a.reasonCode)).toEqual([0x99, 0]);
    expect(await helpers.stored(app)).toHaveLength(1);
  });

  it('When a client asked for no problem information, then the refusal carries no reason string', async () => {
    await start();
    const { key } = await keyFor();
    const client = await connect5(key, { properties: { requestProblemInformation: false } });
    const acks = acksOf(client);
    expect(await publishCode(client, topicOf(w.device.id), 'not json')).toBe(0x99);
    expect(await publishCode(client, 'sitewatt/devices/x', sample(0))).toBe(0x87);
    expect(acks.map((a) => a.reasonString)).toEqual([undefined, undefined]);
  });

  it('When a key publishes on another topic, another site\'s device or "me" with a site key, then the PUBACK says 0x87 and the connection stays up', async () => {
    await start();
    const { key } = await keyFor();
    const other = await createDevice(app, w.otherSite.id);
    const client = await connect5(key);
    const acks = acksOf(client);
    for (const topic of ['sitewatt/devices/x', topicOf(other.device.id), 'sitewatt/devices/me/telemetry'])
      expect(await publishCode(client, topic, sample(0))).toBe(0x87);
    expect(acks[0]).toMatchObject({ reasonString: 'topic not allowed' });
    expect(client.connected).toBe(true);
    expect(await helpers.stored(app)).toEqual([]);
    expect(app.mqtt.counts.refused).toBe(3);
  });

  it('When the username is not a valid key, then CONNACK refuses it with 0x86 (bad user name or password)', async () => {
    await start();
    await expect(connect5('swi_not-a-key')).rejects.toMatchObject({ code: 0x86 });
    expect(app.mqtt.connected()).toBe(0);
  });

  it('When a key opens more connections than MQTT_CONNECTIONS_PER_KEY, then CONNACK refuses the extra one with 0x87', async () => {
    await start({ connectionsPerKey: 1 });
    const { key } = await keyFor();
    await connect5(key);
    await expect(connect5(key)).rejects.toMatchObject({ code: 0x87 });
  });

  it('When an MQTT 5 client subscribes, then the SUBACK refuses it with 0x87', async () => {
    await start();
    const { key } = await keyFor();
    const client = await connect5(key);
    const granted = await client.subscribeAsync(topicOf(w.device.id), { qos: 1 }).catch((err: unknown) => err);
    expect(JSON.stringify(granted)).toContain(String(0x87));
    expect(client.connected).toBe(true);
  });

  it('When a key sends more messages than its token bucket holds, then the client gets DISCONNECT 0x96 and no PUBACK for that message', async () => {
    await start({ ratePerKey: 1, burstPerKey: 2 });
    const { key } = await keyFor();
    const client = await connect5(key);
    const acks = acksOf(client);
    await client.publishAsync(topicOf(w.device.id), sample(0), { qos: 1 });
    await client.publishAsync(topicOf(w.device.id), sample(1), { qos: 1 });
    const disconnected = disconnectOf(client);
    client.publish(topicOf(w.device.id), sample(2), { qos: 1 });
    expect(await disconnected).toMatchObject({ reasonCode: 0x96 });
    expect(acks.map((a) => a.reasonCode)).toEqual([0, 0]);
    expect((await helpers.stored(app)).map((r) => r.value)).toEqual([0, 1]);
  });

  it('When a packet is larger than MQTT_MAX_PACKET_BYTES, then CONNACK announced the limit and the client gets DISCONNECT 0x95', async () => {
    await start({ maxPacketBytes: 1_000 });
    const { key } = await keyFor();
    const connack = new Promise<IConnackPacket>((resolve) => {
      const c = mqttConnect(url(), { username: key, protocolVersion: 5, reconnectPeriod: 0 });
      helpers.clients.push(c);
      c.once('connect', resolve);
    });
    expect((await connack).properties?.maximumPacketSize).toBe(1_000);
    const client = await connect5(key);
    // mqtt.js does not hold its packets to the announced limit: it sends this one as a careless device would.
    const acks = acksOf(client);
    const disconnected = disconnectOf(client);
    client.publish(topicOf(w.device.id), JSON.stringify({ ts: T0, values: { soc: 1 }, pad: 'x'.repeat(2_000) }), {
      qos: 1,
    });
    expect(await disconnected).toMatchObject({ reasonCode: 0x95 });
    expect(acks).toEqual([]);
    expect(await helpers.stored(app)).toEqual([]);
    expect(app.mqtt.counts.refused).toBe(1);
  });

  it("When a connected client's key is revoked, then it gets DISCONNECT 0x87 within a second", async () => {
    await start();
    const { id, key } = await keyFor();
    const client = await connect5(key);
    const disconnected = disconnectOf(client);
    const res = await injectAs(app, w.admin, { method: 'DELETE', url: `/api/ingest-keys/${id}` });
    expect(res.statusCode).toBe(204);
    expect(await disconnected).toMatchObject({ reasonCode: 0x87, properties: { reasonString: 'ingest key revoked' } });
  });

  describe.skipIf(!existsSync('/usr/bin/mosquitto_pub'))("Debian's mosquitto_pub -V mqttv5", () => {
    const mosquittoPub = (key: string, payload: string) =>
      promisify(execFile)('/usr/bin/mosquitto_pub', [
        ...['-h', '127.0.0.1', '-p', String(app.mqtt.port), '-V', 'mqttv5', '-q', '1', '-d'],
        ...['-u', key, '-t', topicOf(w.device.id), '-m', payload],
      ]);

    it('When it publishes at QoS 1, then it exits 0 after the readings are stored', async () => {
      await start();
      const { key } = await keyFor();
      const { stdout } = await mosquittoPub(key, sample(0, { soc: 61 }));
      expect(stdout).toMatch(/PUBACK/);
      expect(await helpers.stored(app)).toEqual([{ key: 'soc', ts: T0, value: 61 }]);
    });

    it('When it publishes a bad payload, then it is told "payload format invalid" and nothing is stored', async () => {
      await start();
      const { key } = await keyFor();
      const out = await mosquittoPub(key, sample(0, { voltage: 230 })).catch(
        (err: { stdout: string; stderr: string }) => err,
      );
      expect(`${out.stdout}${out.stderr}`).toMatch(/Payload format invalid/i);
      expect(await helpers.stored(app)).toEqual([]);
    });
  });
});
