import fp from 'fastify-plugin';
import { connect, type MqttClient } from 'mqtt';
import type { MqttBridgeConfig } from '../../config.js';
import { writeBatcher } from '../../services/write-batcher.js';
import { BATCH_MAX_ROWS, messagesCounter, parsePayload, reasonOf } from './mqtt-common.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The bridge from an existing broker, when MQTT_BRIDGE_URL is set. */
    mqttBridge: { connected(): number; counts: { stored: number; refused: number } };
  }
}

/** The share group: every Sitewatt node subscribes in it, so the broker gives each message to one of them. */
const GROUP = 'sitewatt';
/**
 * Each connection handles one message at a time (mqtt.js acknowledges in order), so the batch
 * window is kept short: it only gathers what the other connections hold at that moment.
 */
const BATCH_MS = 1;
/** MQTT 5 PUBACK reason codes for a message the bridge drops (docs/field-devices.md#bridge). */
const NOT_AUTHORIZED = 0x87;
const PAYLOAD_FORMAT_INVALID = 0x99;

/** A regular expression for the filter's topics, capturing the level at its `+`. */
export function topicPattern(filter: string): RegExp {
  const levels = filter.split('/').map((l) => (l === '+' ? '([^/]+)' : l.replace(/[.*?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${levels.join('/')}$`);
}

/**
 * Field devices behind an existing broker (a site's Mosquitto, a cloud broker): the broker
 * authenticates them, and Sitewatt subscribes with MQTT 5 to `$share/sitewatt/<filter>` at QoS 1,
 * the device named by the topic level at the filter's `+`. A message is acknowledged only after
 * its readings are committed (mqtt.js customHandleAcks), so the broker re-sends what a crash
 * interrupted. Unknown devices and bad payloads are acknowledged with a failure reason code (the
 * broker drops them), counted and logged; a failed commit is not acknowledged and the connection
 * is dropped, so the broker sends the message again after reconnecting.
 */
export default fp(
  async (app, opts: MqttBridgeConfig) => {
    const { telemetry, readings } = app.services;
    const batcher = writeBatcher(readings, { windowMs: BATCH_MS, maxRows: BATCH_MAX_ROWS });
    const metric = messagesCounter(app)('bridge');
    const counts = { stored: 0, refused: 0 };
    const pattern = topicPattern(opts.topic);
    // The URL may hold the broker's password: logs name the host only.
    const host = new URL(opts.url).host;

    async function receive(topic: string, payload: Buffer): Promise<number> {
      const deviceId = pattern.exec(topic)?.[1];
      let rows;
      try {
        if (deviceId === undefined) throw Object.assign(new Error('topic outside the filter'), { code: 'FORBIDDEN' });
        rows = await telemetry.checkForDevice(deviceId, parsePayload(payload));
      } catch (err) {
        const reason = reasonOf(err);
        const e = err as Error & { errors?: unknown };
        counts.refused++;
        metric.refused(reason);
        app.log.warn({ topic, deviceId, reason, errors: e.errors }, `MQTT bridge message dropped: ${e.message}`);
        return reason === 'payload' ? PAYLOAD_FORMAT_INVALID : NOT_AUTHORIZED;
      }
      await batcher.write(rows);
      counts.stored++;
      metric.stored();
      return 0;
    }

    const open = (n: number): MqttClient => {
      const client: MqttClient = connect(opts.url, {
        protocolVersion: 5,
        clientId: `${opts.clientId}-${n}`,
        // A session the broker keeps while the node restarts: what it queued meanwhile is delivered after.
        clean: opts.sessionExpirySeconds === 0,
        properties: { sessionExpiryInterval: opts.sessionExpirySeconds },
        reconnectPeriod: 1_000,
        // Subscribed again below, when the broker kept no session.
        resubscribe: false,
        customHandleAcks: (topic, message, _packet, done) => {
          receive(topic, message).then(
            (code) => done(code),
            (err: unknown) => {
              counts.refused++;
              metric.refused('store');
              app.log.error(
                { err, topic },
                'MQTT bridge message not stored; reconnecting for the broker to send it again',
              );
              done(err as Error);
              client.stream.destroy();
            },
          );
        },
      });
      client.on('connect', (connack) => {
        if (!connack.sessionPresent)
          client.subscribe(`$share/${GROUP}/${opts.topic}`, { qos: 1 }, (err, granted) => {
            // In MQTT 5 a refused subscription is a reason code of 0x80 or more in place of the QoS.
            if (err || granted?.some((g) => g.qos >= 0x80))
              app.log.error({ err, host, granted }, 'MQTT bridge subscription refused');
          });
      });
      client.on('error', (err) => app.log.warn({ host, message: err.message }, 'MQTT bridge connection error'));
      return client;
    };
    const clients = Array.from({ length: opts.connections }, (_, n) => open(n));
    app.log.info({ host, topic: opts.topic, connections: opts.connections }, 'MQTT bridge started');

    app.decorate('mqttBridge', { connected: () => clients.filter((c) => c.connected).length, counts });
    app.addHook('preClose', async () => {
      await Promise.all(clients.map((c) => c.endAsync()));
      await batcher.flush();
    });
  },
  { name: 'mqtt-bridge', dependencies: ['database', 'metrics'] },
);
