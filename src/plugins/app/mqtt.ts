import { Aedes, type AuthenticateError, type Client } from 'aedes';
import fp from 'fastify-plugin';
import { createServer, type AddressInfo } from 'node:net';
import { invalid } from '../../errors.js';
import { writeBatcher } from '../../services/write-batcher.js';

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
  /** Messages stored, and messages refused (wrong topic, bad payload, revoked key). */
  counts: { stored: number; refused: number };
  /** Transactions that committed messages, and messages in them (stored / batches: the batching). */
  batches: { batches: number; messages: number; fallbacks: number };
}

/** `sitewatt/devices/<deviceId>/telemetry` (site keys) or `sitewatt/devices/me/telemetry` (device keys). */
const TOPIC = /^sitewatt\/devices\/([^/]+)\/telemetry$/;
const MY_DEVICE = 'me';
/** How often connected clients notice a revoked key: the access version is read this often. */
const RECHECK_MS = 500;
/** The largest payload, as on HTTP. */
const MAX_PAYLOAD = 2 * 1024 * 1024;
/** A batch this large is committed without waiting for the rest of its window. */
const BATCH_MAX_ROWS = 5_000;

/**
 * Field devices' MQTT transport: an aedes broker (MQTT 3.1.1) that only receives. The MQTT
 * username is an ingest key; every message is checked by the telemetry service and committed
 * inside authorizePublish (with the messages that arrive within `batchMs`, in one transaction), so
 * aedes sends a QoS 1 PUBACK only once the readings are committed, and a
 * refused message closes that client's connection (MQTT 3.1.1 has no other way to say no).
 * Nothing is forwarded to subscribers: subscriptions are refused.
 */
export default fp(
  async (app, opts: { port: number; host: string; batchMs: number }) => {
    const { auth, telemetry, readings } = app.services;
    const batcher = writeBatcher(readings, { windowMs: opts.batchMs, maxRows: BATCH_MAX_ROWS });
    // The raw key of each connected client, to re-check it when access changes.
    const keys = new Map<Client, string>();
    const counts = { stored: 0, refused: 0 };

    const refuse = (client: Client, message: string, details: Record<string, unknown> = {}) => {
      counts.refused++;
      app.log.warn({ mqttClientId: client.id, ...details }, `MQTT message refused: ${message}`);
      return new Error(message);
    };

    async function receive(client: Client, raw: string, topic: string, payload: Buffer) {
      const named = TOPIC.exec(topic)?.[1];
      if (named === undefined) throw refuse(client, 'topic not allowed', { topic });
      // Checked on every message, as on HTTP: a revoked key stores nothing more.
      const key = await auth.ingestKeyFor(raw);
      if (!key) throw refuse(client, 'ingest key revoked');
      const deviceId = named === MY_DEVICE ? null : named;
      const where = { keyId: key.keyId, deviceId: deviceId ?? key.deviceId };
      try {
        if (payload.length > MAX_PAYLOAD)
          throw invalid([{ path: '', message: `At most ${MAX_PAYLOAD} bytes` }], 'Message too large');
        let body: unknown;
        try {
          body = JSON.parse(payload.toString('utf8'));
        } catch {
          throw invalid([{ path: '', message: 'Not JSON' }], 'The payload is not JSON; nothing was stored');
        }
        const { rows } = await telemetry.checkAsKey(key, deviceId, body);
        await batcher.write(rows);
        counts.stored++;
      } catch (err) {
        const e = err as Error & { code?: string; errors?: unknown };
        throw refuse(client, e.message, { ...where, code: e.code, errors: e.errors });
      }
    }

    const broker = new Aedes({
      // A device's last will would be published as telemetry when it drops; wills are not kept.
      preConnect(_client, packet, done) {
        delete packet.will;
        done(null, true);
      },
      authenticate(client, username, _password, done) {
        const raw = username ?? '';
        auth.ingestKeyFor(raw).then(
          (key) => {
            if (!key) return done(authError('bad user name or password', 4), null);
            keys.set(client, raw);
            client.conn.once('close', () => keys.delete(client));
            done(null, true);
          },
          (err: unknown) => {
            app.log.error({ err }, 'MQTT authentication failed');
            done(authError('server unavailable', 3), null);
          },
        );
      },
      authorizePublish(client, packet, done) {
        const raw = client ? keys.get(client) : undefined;
        if (!client || raw === undefined) return done(new Error('not authenticated'));
        // Nothing is kept for later subscribers: messages are readings, not broker state.
        packet.retain = false;
        receive(client, raw, packet.topic, packet.payload as Buffer).then(
          () => done(null),
          (err: Error) => done(err),
        );
      },
      authorizeSubscribe(_client, _subscription, done) {
        done(null, null); // SUBACK 0x80: the broker only receives
      },
    });
    await broker.listen();

    const server = createServer(broker.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    app.log.info({ port, host: opts.host }, 'MQTT broker listening');

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
        for (const [client, raw] of keys) {
          if (!(await auth.ingestKeyFor(raw))) {
            app.log.info({ mqttClientId: client.id }, 'MQTT client closed: its ingest key is revoked');
            keys.delete(client);
            client.close();
          }
        }
      })()
        .catch((err: unknown) => app.log.error({ err }, 'MQTT key re-check failed'))
        .finally(() => (checking = false));
    }, RECHECK_MS);
    recheck.unref();

    app.decorate('mqtt', { port, connected: () => keys.size, counts, batches: batcher.stats } satisfies MqttBroker);

    // Before the database closes, so that no message is half received.
    app.addHook('preClose', async () => {
      clearInterval(recheck);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
      await batcher.flush();
    });
  },
  { name: 'mqtt', dependencies: ['database'] },
);

const authError = (message: string, returnCode: number) =>
  Object.assign(new Error(message), { returnCode }) as AuthenticateError;
