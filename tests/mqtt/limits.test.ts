import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { MQTT_DEFAULTS, type MqttConfig } from '../../src/config.js';
import { buildTestApp, createWorld } from '../helpers/app.js';
import * as helpers from './helpers.js';
import { closeClients, refusedPublish, stored, T0, topicOf, type World } from './helpers.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
let app: App;
let w: World;
let lines: string[];

async function start(limits: Partial<MqttConfig>) {
  lines = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  app = await buildTestApp(
    { logLevel: 'warn', metricsToken: METRICS_TOKEN, mqtt: { ...MQTT_DEFAULTS, port: 0, ...limits } },
    { logger: { stream } },
  );
  w = await createWorld(app);
}
afterEach(async () => {
  await closeClients();
  await app.close();
});

const connect = (username: string) => helpers.connect(`mqtt://127.0.0.1:${app.mqtt.port}`, username);
const sample = (i: number) => JSON.stringify({ ts: T0 + i, values: { soc: i } });
async function metricsText() {
  const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return res.body;
}

describe('MQTT broker limits', () => {
  it('When a packet is larger than MQTT_MAX_PACKET_BYTES, then its connection is closed before it is read, nothing is stored and it is counted', async () => {
    await start({ maxPacketBytes: 1_000 });
    const { key } = await helpers.keyFor(app, w);
    const big = JSON.stringify({ ts: T0, values: { soc: 1 }, pad: 'x'.repeat(2_000) });
    expect(await refusedPublish(await connect(key), topicOf(w.device.id), big)).toEqual({ acked: false });
    expect(await stored(app)).toEqual([]);
    expect(await metricsText()).toContain(
      'sitewatt_mqtt_messages_total{path="broker",result="refused",reason="size"} 1',
    );
    // A message under the limit on a new connection is stored.
    await (await connect(key)).publishAsync(topicOf(w.device.id), sample(0), { qos: 1 });
    expect(await stored(app)).toHaveLength(1);
  });

  it("When a key sends more messages than its token bucket holds, then the one over it closes the connection and is not stored, across the key's connections", async () => {
    await start({ ratePerKey: 1, burstPerKey: 2 });
    const { key } = await helpers.keyFor(app, w);
    const [a, b] = [await connect(key), await connect(key)];
    await a.publishAsync(topicOf(w.device.id), sample(0), { qos: 1 });
    await b.publishAsync(topicOf(w.device.id), sample(1), { qos: 1 });
    expect(await refusedPublish(a, topicOf(w.device.id), sample(2))).toEqual({ acked: false });
    expect((await stored(app)).map((r) => r.value)).toEqual([0, 1]);
    // Another key has its own bucket.
    const other = await connect((await helpers.keyFor(app, w)).key);
    await other.publishAsync(topicOf(w.device.id), sample(3), { qos: 1 });
    expect(await metricsText()).toContain(
      'sitewatt_mqtt_messages_total{path="broker",result="refused",reason="rate"} 1',
    );
  });

  it('When a key opens more connections than MQTT_CONNECTIONS_PER_KEY, then CONNACK refuses the extra one (5) until one closes', async () => {
    await start({ connectionsPerKey: 2 });
    const { key } = await helpers.keyFor(app, w);
    const first = await connect(key);
    await connect(key);
    await expect(connect(key)).rejects.toMatchObject({ code: 5 });
    await connect((await helpers.keyFor(app, w)).key); // another key is not counted with it
    await first.endAsync();
    await expect.poll(() => app.mqtt.connected()).toBe(2);
    await connect(key);
  });

  it('When a client reconnects with its client id while at the limit, then the new connection replaces the old one', async () => {
    await start({ connectionsPerKey: 1 });
    const { key } = await helpers.keyFor(app, w);
    await helpers.connect(`mqtt://127.0.0.1:${app.mqtt.port}`, key, { clientId: 'gateway-1' });
    const again = await helpers.connect(`mqtt://127.0.0.1:${app.mqtt.port}`, key, { clientId: 'gateway-1' });
    await again.publishAsync(topicOf(w.device.id), sample(0), { qos: 1 });
    expect(await stored(app)).toHaveLength(1);
  });

  it('When a payload is invalid, then it is counted and logged with the device id, and the key appears in no log line', async () => {
    await start({});
    const { key } = await helpers.keyFor(app, w);
    await refusedPublish(await connect(key), topicOf(w.device.id), JSON.stringify({ voltage: 230 }));
    const refusal = lines.map((l) => JSON.parse(l)).find((l) => /MQTT message refused/.test(l.msg));
    expect(refusal).toMatchObject({ deviceId: w.device.id, reason: 'payload' });
    expect(lines.join('\n')).not.toContain(key);
    expect(await metricsText()).toContain(
      'sitewatt_mqtt_messages_total{path="broker",result="refused",reason="payload"} 1',
    );
  });
});
