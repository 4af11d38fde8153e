import { Aedes, type AuthenticateError, type Client } from 'aedes';
import fp from 'fastify-plugin';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { MqttConfig } from '../../config.js';
import { writeBatcher } from '../../services/write-batcher.js';
import { BATCH_MAX_ROWS, messagesCounter, parsePayload, reasonOf, type RefusalReason } from './mqtt-common.js';
import { keyBuckets } from './mqtt-limits.js';
import { answerRefusalV5, REASON_CODES, type Refusal } from './mqtt-v5.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The built-in MQTT broker, when MQTT_PORT is set. */
    mqtt: MqttBroker;
  }
}

export interface MqttBroker {
  /** The port it listens on (the one the system chose for MQTT_PORT=0). */
  port: number;
  /** Clients connected with a valid key. */
  connected(): number;
  /** Messages stored, and messages refused (wrong topic, bad payload, revoked key, limits). */
  counts: { stored: number; refused: number };
  /** Transactions that committed messages, and messages in them (stored / batches: the batching). */
  batches: { batches: number; messages: number; fallbacks: number };
}

/** `sitewatt/devices/<deviceId>/telemetry` (site keys) or `sitewatt/devices/me/telemetry` (device keys). */
const TOPIC = /^sitewatt\/devices\/([^/]+)\/telemetry$/;
const MY_DEVICE = 'me';
/** How often connected clients notice a revoked key: the access version is read this often. */
const RECHECK_MS = 500;

/** What the broker knows of a connected client's key; the raw key only to re-check it. */
interface Holder {
  raw: string;
  keyId: string;
}

/**
 * Field devices' MQTT transport: an aedes broker (MQTT 3.1.1 and 5) that only receives. The MQTT
 * username is an ingest key; every message is checked by the telemetry service and committed
 * inside authorizePublish (with the messages that arrive within `batchMs`, in one transaction), so
 * aedes sends a QoS 1 PUBACK only once the readings are committed. A refused message closes an
 * MQTT 3.1.1 client's connection (it has no other way to say no); an MQTT 5 client gets a reason
 * code (mqtt-v5.ts). Nothing is forwarded to subscribers: subscriptions are refused.
 * Limits and reason codes: docs/field-devices.md#limits.
 */
export default fp(
  async (app, opts: MqttConfig) => {
    const { auth, telemetry, readings } = app.services;
    const batcher = writeBatcher(readings, { windowMs: opts.batchMs, maxRows: BATCH_MAX_ROWS });
    const buckets = keyBuckets(opts.ratePerKey, opts.burstPerKey);
    const metric = messagesCounter(app)('broker');
    const holders = new Map<Client, Holder>();
    // Each key's open connections by client id, so that counting them at a CONNECT does not walk
    // every connection of the broker (thousands of devices connect at once after an outage).
    const openByKey = new Map<string, Map<string, Client>>();
    const hold = (client: Client, holder: Holder) => {
      holders.set(client, holder);
      let open = openByKey.get(holder.keyId);
      if (!open) openByKey.set(holder.keyId, (open = new Map()));
      open.set(client.id, client);
    };
    const release = (client: Client) => {
      const holder = holders.get(client);
      if (!holder) return;
      holders.delete(client);
      const open = openByKey.get(holder.keyId);
      // A client that reconnected with its id already holds the entry: it stays.
      if (open?.get(client.id) !== client) return;
      open.delete(client.id);
      if (open.size === 0) openByKey.delete(holder.keyId);
    };
    const counts = { stored: 0, refused: 0 };

    const refuse = (client: Client, reason: RefusalReason, message: string, details: Record<string, unknown> = {}) => {
      counts.refused++;
      metric.refused(reason);
      const keyId = holders.get(client)?.keyId;
      app.log.warn({ mqttClientId: client.id, keyId, reason, ...details }, `MQTT message refused: ${message}`);
      return Object.assign(new Error(message), { reason }) as Refusal;
    };

    async function receive(client: Client, holder: Holder, topic: string, payload: Buffer) {
      const named = TOPIC.exec(topic)?.[1];
      if (named === undefined) throw refuse(client, 'topic', 'topic not allowed', { topic });
      const deviceId = named === MY_DEVICE ? null : named;
      if (!buckets.take(holder.keyId))
        throw refuse(client, 'rate', 'over the messages per second of its key', { deviceId });
      // Checked on every message, as on HTTP: a revoked key stores nothing more.
      const key = await auth.ingestKeyFor(holder.raw);
      if (!key) throw refuse(client, 'key', 'ingest key revoked');
      let checked: Awaited<ReturnType<typeof telemetry.checkAsKey>>;
      try {
        checked = await telemetry.checkAsKey(key, deviceId, parsePayload(payload));
      } catch (err) {
        const e = err as Error & { code?: string; errors?: unknown };
        throw refuse(client, reasonOf(err), e.message, { deviceId: deviceId ?? key.deviceId, errors: e.errors });
      }
      try {
        await batcher.write(checked.rows);
      } catch (err) {
        throw refuse(client, 'store', 'could not be stored', { deviceId: checked.deviceId, err });
      }
      counts.stored++;
      metric.stored();
    }

    const broker = new Aedes({
      // Refused as soon as a packet's header says its length, before the rest of it is read; MQTT 5
      // clients also learn the limit from the CONNACK and get a DISCONNECT 0x95 past it.
      maximumPacketSize: opts.maxPacketBytes,
      // A device's last will would be published as telemetry when it drops; wills are not kept.
      preConnect(_client, packet, done) {
        delete packet.will;
        done(null, true);
      },
      authenticate(client, username, _password, done) {
        const raw = username ?? '';
        auth.ingestKeyFor(raw).then(
          (key) => {
            // MQTT 5 clients get the matching reason code: 4 is 0x86, 5 is 0x87, 3 is 0x88.
            if (!key) return done(authError('bad user name or password', 4), null);
            // A client that reconnects with its id replaces its old connection: that one does not count.
            const byId = openByKey.get(key.keyId);
            const open = byId ? byId.size - (byId.has(client.id) ? 1 : 0) : 0;
            if (open >= opts.connectionsPerKey) {
              app.log.warn(
                { mqttClientId: client.id, keyId: key.keyId },
                'MQTT connection refused: connections per key',
              );
              return done(authError('not authorized', 5), null);
            }
            hold(client, { raw, keyId: key.keyId });
            client.conn.once('close', () => release(client));
            done(null, true);
          },
          (err: unknown) => {
            app.log.error({ err }, 'MQTT authentication failed');
            done(authError('server unavailable', 3), null);
          },
        );
      },
      authorizePublish(client, packet, done) {
        const holder = client ? holders.get(client) : undefined;
        if (!client || holder === undefined) return done(new Error('not authenticated'));
        // Nothing is kept for later subscribers: messages are readings, not broker state.
        packet.retain = false;
        receive(client, holder, packet.topic, packet.payload as Buffer).then(
          () => done(null),
          (err: Refusal) => (client.version === 5 ? answerRefusalV5(client, packet, err, done) : done(err)),
        );
      },
      authorizeSubscribe(_client, _subscription, done) {
        done(null, null); // SUBACK 0x80 (MQTT 3.1.1), 0x87 (MQTT 5): the broker only receives
      },
    });
    await broker.listen();
    // aedes reports a packet over maximumPacketSize as the error of its client (connected or not).
    const countTooLarge = (client: Client, err: Error & { size?: number; maximumPacketSize?: number }) => {
      if (err.maximumPacketSize !== undefined) refuse(client, 'size', 'packet too large', { length: err.size });
    };
    broker.on('clientError', countTooLarge);
    broker.on('connectionError', countTooLarge);

    const handle = (socket: Socket) => broker.handle(socket);
    const server: Server = opts.tls
      ? createTlsServer({ cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) }, handle)
      : createServer(handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    app.log.info({ port, host: opts.host, tls: opts.tls !== null }, 'MQTT broker listening');

    // Revoking a key (here or on another node), or deleting its site or device, moves the access
    // version; only then are the connected clients' keys read again, and those refused are closed.
    let seen = await auth.accessVersion();
    let checking = false;
    const recheck = setInterval(() => {
      if (checking) return;
      checking = true;
      (async () => {
        const version = await auth.accessVersion();
        if (version !== null && version === seen) return;
        seen = version;
        for (const [client, { raw, keyId }] of holders) {
          if (!(await auth.ingestKeyFor(raw))) {
            app.log.info({ mqttClientId: client.id, keyId }, 'MQTT client closed: its ingest key is revoked');
            release(client);
            // MQTT 5 clients are told why; MQTT 3.1.1 ones are only closed.
            const reasonString = 'ingest key revoked';
            client.disconnect({ reasonCode: REASON_CODES.notAuthorized, properties: { reasonString } });
          }
        }
      })()
        .catch((err: unknown) => app.log.error({ err }, 'MQTT key re-check failed'))
        .finally(() => (checking = false));
    }, RECHECK_MS);
    recheck.unref();

    app.decorate('mqtt', { port, connected: () => holders.size, counts, batches: batcher.stats } satisfies MqttBroker);

    // Before the database closes, so that no message is half received.
    app.addHook('preClose', async () => {
      clearInterval(recheck);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
      await batcher.flush();
    });
  },
  { name: 'mqtt', dependencies: ['database', 'metrics'] },
);

const authError = (message: string, returnCode: number) =>
  Object.assign(new Error(message), { returnCode }) as AuthenticateError;
