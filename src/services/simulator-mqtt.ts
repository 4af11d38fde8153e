// SIMULATOR=mqtt: the demo fleet's live readings go through the built-in MQTT broker, one
// connection and one ingest key per demo site, so the demo exercises what a real gateway does
// (authentication, topic ACL, batching, PUBACK after the commit). The backfill stays direct:
// history is not something a device sends.
import { createHmac } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { INGEST_KEY_PREFIX } from './auth.js';
import type { IngestKeysService } from './ingest-keys.js';
import type { SimulatedReading } from './simulator.js';

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SimulatorMqttOptions {
  /** The built-in broker, e.g. mqtt://127.0.0.1:1883 (mqtts:// when it speaks TLS). */
  url: string;
  /** The keys are derived from it, so a restart finds the same ones without storing them anywhere. */
  secret: string;
  /** Connection options: the broker's certificate when it speaks TLS. */
  connect?: IClientOptions;
}

const KEY_NAME = 'Simulator (SIMULATOR=mqtt)';

export function simulatorMqttFeed(ingestKeys: IngestKeysService, opts: SimulatorMqttOptions, log: Log) {
  // A site's connection; null when its key was revoked (that site is no longer fed).
  const clients = new Map<string, Promise<MqttClient | null>>();

  const keyOf = (siteId: string) =>
    INGEST_KEY_PREFIX + createHmac('sha256', opts.secret).update(`simulator-ingest-key:${siteId}`).digest('base64url');

  async function open(siteId: string): Promise<MqttClient | null> {
    const raw = keyOf(siteId);
    if (!(await ingestKeys.ensureSystemKey(siteId, raw, KEY_NAME))) {
      log.warn({ siteId }, 'simulator: the ingest key of this site is revoked; it is not fed over MQTT');
      return null;
    }
    const client = await connectAsync(opts.url, { ...opts.connect, username: raw, reconnectPeriod: 1_000 });
    log.info({ siteId }, 'simulator: feeding this site through MQTT');
    return client;
  }

  return {
    /** Publishes each device's readings as one QoS 1 message; resolves when every PUBACK is in. */
    async send(rows: SimulatedReading[]) {
      const byDevice = new Map<string, { siteId: string; ts: number; values: Record<string, number> }>();
      for (const r of rows) {
        const d = byDevice.get(r.deviceId) ?? { siteId: r.siteId, ts: r.ts, values: {} };
        d.values[r.key] = r.value;
        byDevice.set(r.deviceId, d);
      }
      const sent = [...byDevice].map(async ([deviceId, { siteId, ts, values }]) => {
        let client = clients.get(siteId);
        if (!client) clients.set(siteId, (client = open(siteId)));
        const c = await client.catch((err: unknown) => {
          clients.delete(siteId); // try again at the next tick
          throw err;
        });
        await c?.publishAsync(`sitewatt/devices/${deviceId}/telemetry`, JSON.stringify({ ts, values }), { qos: 1 });
      });
      const failed = (await Promise.allSettled(sent)).filter((r) => r.status === 'rejected');
      if (failed.length > 0)
        log.warn(
          { failed: failed.length, err: (failed[0] as PromiseRejectedResult).reason },
          'simulator: MQTT send failed',
        );
    },

    async close() {
      const open = await Promise.allSettled(clients.values());
      await Promise.all(open.map((r) => (r.status === 'fulfilled' ? r.value?.endAsync(true) : undefined)));
    },
  };
}
