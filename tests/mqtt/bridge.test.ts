import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { MqttBridgeConfig } from '../../src/config.js';
import { topicPattern } from '../../src/plugins/app/mqtt-bridge.js';
import { bridgeCrashRounds } from '../../tools/crash-bridge.js';
import { buildTestApp, createWorld, onPostgres } from '../helpers/app.js';
import { allowInserts, refuseInserts, sqlOf } from '../helpers/sql.js';
import { stored, T0, type World } from './helpers.js';

// The machine's Mosquitto (Debian's package), as a site's existing broker.
const MOSQUITTO = { host: '127.0.0.1', port: 1883 };
const reachable = await new Promise<boolean>((resolve) => {
  const socket = tcpConnect(MOSQUITTO.port, MOSQUITTO.host, () => (socket.destroy(), resolve(true)));
  socket.once('error', () => resolve(false));
});
const runnable = reachable && existsSync('/usr/bin/mosquitto_pub');

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

/** Topics of this run only, so that parallel runs on the same broker never see each other's messages. */
const run = `swtest-${randomBytes(4).toString('hex')}`;
let seq = 0;

async function startBridged(prefix: string, options: Partial<MqttBridgeConfig> = {}): Promise<{ app: App; w: World }> {
  const bridge: MqttBridgeConfig = {
    url: `mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`,
    topic: `${prefix}/devices/+/telemetry`,
    connections: 2,
    clientId: `${run}-${++seq}`,
    sessionExpirySeconds: 0,
    ...options,
  };
  const app = await buildTestApp({ mqttBridge: bridge });
  apps.push(app);
  await expect.poll(() => app.mqttBridge.connected(), { timeout: 5_000 }).toBe(bridge.connections);
  // The SUBACK follows the CONNACK: give it a moment before publishing.
  await new Promise((r) => setTimeout(r, 200));
  return { app, w: await createWorld(app) };
}

const mosquittoPub = (topic: string, message: string) =>
  promisify(execFile)('/usr/bin/mosquitto_pub', [
    ...['-h', MOSQUITTO.host, '-p', String(MOSQUITTO.port), '-V', 'mqttv5', '-q', '1'],
    ...['-t', topic, '-m', message],
  ]);

describe('topicPattern', () => {
  it('When a filter has one +, then its topics match and that level is the device id; others do not match', () => {
    const p = topicPattern('site.a/devices/+/telemetry');
    expect(p.exec('site.a/devices/dev_1/telemetry')?.[1]).toBe('dev_1');
    for (const t of ['siteXa/devices/dev_1/telemetry', 'site.a/devices/a/b/telemetry', 'site.a/devices/dev_1'])
      expect(p.test(t), t).toBe(false);
  });
});

describe.skipIf(!runnable)('MQTT bridge (MQTT_BRIDGE_URL) against the real Mosquitto', () => {
  it("When mosquitto_pub publishes to a device's topic on the existing broker, then its readings are stored and streamed live", async () => {
    const prefix = `${run}/a`;
    const { app, w } = await startBridged(prefix);
    const live: number[] = [];
    app.services.hub.onReadings((batch) => live.push(...batch.map((r) => r.value)));
    await mosquittoPub(`${prefix}/devices/${w.device.id}/telemetry`, JSON.stringify({ ts: T0, values: { soc: 55 } }));
    await expect.poll(() => stored(app), { timeout: 5_000 }).toEqual([{ key: 'soc', ts: T0, value: 55 }]);
    expect(live).toEqual([55]);
    expect(app.mqttBridge.counts).toEqual({ stored: 1, refused: 0 });
  });

  it('When a message names an unknown device or is not telemetry, then it is dropped and counted, and the next good one is stored', async () => {
    const prefix = `${run}/b`;
    const { app, w } = await startBridged(prefix);
    await mosquittoPub(`${prefix}/devices/dev_unknown/telemetry`, JSON.stringify({ soc: 1 }));
    await mosquittoPub(`${prefix}/devices/${w.device.id}/telemetry`, 'not json');
    await mosquittoPub(`${prefix}/devices/${w.device.id}/telemetry`, JSON.stringify({ voltage: 230 }));
    await mosquittoPub(`${prefix}/devices/${w.device.id}/telemetry`, JSON.stringify({ ts: T0, values: { soc: 9 } }));
    await expect.poll(() => stored(app), { timeout: 5_000 }).toEqual([{ key: 'soc', ts: T0, value: 9 }]);
    expect(app.mqttBridge.counts).toEqual({ stored: 1, refused: 3 });
  });

  it('When two Sitewatt nodes bridge the same filter, then the shared subscription gives each message to one of them', async () => {
    const prefix = `${run}/c`;
    const [a, b] = [await startBridged(prefix), await startBridged(prefix)];
    // Each node has its own database: a message for a's device is stored by a, refused by b.
    for (let i = 0; i < 10; i++)
      await mosquittoPub(
        `${prefix}/devices/${a.w.device.id}/telemetry`,
        JSON.stringify({ ts: T0 + i, values: { soc: i } }),
      );
    const handled = () =>
      [a.app, b.app].reduce((n, x) => n + x.mqttBridge.counts.stored + x.mqttBridge.counts.refused, 0);
    await expect.poll(handled, { timeout: 5_000 }).toBe(10);
    await new Promise((r) => setTimeout(r, 300));
    expect(handled()).toBe(10);
    expect(await stored(a.app)).toHaveLength(a.app.mqttBridge.counts.stored);
  });

  it('When the commit fails, then the bridge does not acknowledge: Mosquitto sends the message again until it is stored, and it is stored once', async () => {
    const prefix = `${run}/d`;
    // A session Mosquitto keeps across the bridge's reconnections: it re-sends what it has not had a PUBACK for.
    const { app, w } = await startBridged(prefix, { connections: 1, sessionExpirySeconds: 30 });
    const pk = await sqlOf(app).value<number>(
      'SELECT pk FROM metrics WHERE device_id = ? AND key = ?',
      w.device.id,
      'soc',
    );
    await refuseInserts(app, 'readings', 'metric_pk', String(pk));
    await mosquittoPub(`${prefix}/devices/${w.device.id}/telemetry`, JSON.stringify({ ts: T0, values: { soc: 42 } }));
    // The first delivery and at least one re-delivery after the bridge reconnected, each refused by the database.
    await expect.poll(() => app.mqttBridge.counts.refused, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await stored(app)).toEqual([]);
    await allowInserts(app, 'readings');
    await expect.poll(() => stored(app), { timeout: 10_000 }).toEqual([{ key: 'soc', ts: T0, value: 42 }]);
    // Acknowledged now: nothing comes again.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(app.mqttBridge.counts.stored).toBe(1);
  });

  // A SQLite file's story (its integrity after SIGKILL); PostgreSQL's is the cluster test's.
  it.skipIf(onPostgres)(
    'When the bridging server is killed with SIGKILL during a stream of messages (2 rounds), then after restarts every message Mosquitto accepted is stored whole, none partly (tools/crash-bridge.ts)',
    { timeout: 90_000 },
    async () => {
      const results = await bridgeCrashRounds({ rounds: 2 });
      // The kills must land while messages were on their way for the check to mean anything.
      expect(results).toHaveLength(2);
      expect(results.at(-1)!.stored).toBeGreaterThan(0);
    },
  );
});
