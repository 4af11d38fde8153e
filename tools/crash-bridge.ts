// `npx tsx tools/crash-bridge.ts [--rounds 5]`: the crash rounds of the bridge (MQTT_BRIDGE_URL)
// against the machine's Mosquitto on 127.0.0.1:1883. A publisher streams QoS 1 messages whose
// timestamp and values name the message to a topic of this run only, while the real server bridges
// them into a file database and is killed with SIGKILL at random moments, then started again on the
// same file and client ids. Mosquitto re-sends to the bridge's kept sessions whatever the bridge
// had not acknowledged, so after the last restart every message Mosquitto accepted must be stored
// whole: one the bridge acknowledged before its commit and then lost to a kill would be missing.
// After each kill no message may be partly stored, and the file must pass integrity_check.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { DAY_MS } from '../src/time.js';
import { verify } from './crash-mqtt.js';
import { seed, startServer, type Server } from './crash-server.js';

const BROKER = 'mqtt://127.0.0.1:1883';
const CONNECTIONS = 4;
/** Publishes in flight at once, each followed by a pause: a few hundred messages a second, so that
 * what Mosquitto queues for the bridge while it is down stays within its per-session queue (1,000). */
const IN_FLIGHT = 4;
const PAUSE_MS = 10;

interface Message {
  id: number;
  acked: boolean;
}

export interface BridgeRoundResult {
  round: number;
  /** Messages Mosquitto had accepted by the kill. */
  accepted: number;
  /** Of them, stored in the file at the kill. */
  stored: number;
  killedAfterMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Messages with all their readings in the file. */
function storedCount(databasePath: string, perMessage: number): number {
  const db = new Database(databasePath, { readonly: true });
  try {
    return db
      .prepare<[number], { n: number }>(
        'SELECT count(*) AS n FROM (SELECT ts FROM readings GROUP BY ts HAVING count(*) = ?)',
      )
      .get(perMessage)!.n;
  } finally {
    db.close();
  }
}

export async function bridgeCrashRounds(opts: { rounds: number; log?: (line: string) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'sitewatt-crash-bridge-'));
  const databasePath = join(dir, 'crash.db');
  const log = opts.log ?? (() => undefined);
  const { deviceId, metricKeys } = await seed(databasePath);
  const run = randomBytes(4).toString('hex');
  const clientId = `crash-${run}`;
  const topic = `swcrash-${run}/devices/${deviceId}/telemetry`;
  const env = {
    MQTT_BRIDGE_URL: BROKER,
    MQTT_BRIDGE_TOPIC: `swcrash-${run}/devices/+/telemetry`,
    MQTT_BRIDGE_CONNECTIONS: String(CONNECTIONS),
    MQTT_BRIDGE_CLIENT_ID: clientId,
  };
  const t0 = Date.now() - 400 * DAY_MS;
  const messages: Message[] = [];
  const results: BridgeRoundResult[] = [];
  const publisher = await connectAsync(BROKER, { protocolVersion: 5, clientId: `${clientId}-pub`, reconnectPeriod: 0 });
  const publish = (id: number) =>
    publisher.publishAsync(
      topic,
      JSON.stringify({ ts: t0 + id * 1000, values: Object.fromEntries(metricKeys.map((k) => [k, id])) }),
      { qos: 1 },
    );
  let server: Server | undefined;
  let publishing = false;
  const streams: Promise<void>[] = [];
  try {
    for (let round = 1; round <= opts.rounds + 1; round++) {
      server = await startServer(databasePath, 20_000, env);
      if (round === 1) {
        // Message 0 until it is stored: the bridge has subscribed, and its sessions hold what follows.
        messages.push({ id: 0, acked: false });
        for (let i = 0; storedCount(databasePath, metricKeys.length) === 0; i++) {
          if (i === 100) throw new Error(`the bridge stored nothing in 20 s:\n${server.output()}`);
          await publish(0);
          await sleep(200);
        }
        messages[0].acked = true;
        publishing = true;
        for (let s = 0; s < IN_FLIGHT; s++)
          streams.push(
            (async () => {
              while (publishing) {
                const m: Message = { id: messages.length, acked: false };
                messages.push(m);
                await publish(m.id);
                m.acked = true;
                await sleep(PAUSE_MS);
              }
            })(),
          );
      }
      if (round > opts.rounds) break;
      const killAfter = 200 + Math.floor(Math.random() * 1_500);
      await sleep(killAfter);
      server.child.kill('SIGKILL');
      await server.exited;
      // Mid-stream: nothing partial yet; the acknowledged messages are checked once all are delivered.
      verify(
        databasePath,
        t0,
        messages.map((m) => ({ ...m, acked: false })),
        metricKeys.length,
      );
      const accepted = messages.filter((m) => m.acked).length;
      const stored = storedCount(databasePath, metricKeys.length);
      results.push({ round, accepted, stored, killedAfterMs: killAfter });
      log(
        `bridge round ${round}: killed after ${killAfter} ms; ${stored} of ${accepted} accepted messages stored so far`,
      );
    }
    publishing = false;
    await Promise.all(streams);
    const accepted = messages.filter((m) => m.acked).length;
    for (let i = 0; storedCount(databasePath, metricKeys.length) < accepted && i < 150; i++) await sleep(200);
    server!.child.kill('SIGTERM');
    await server!.exited;
    verify(databasePath, t0, messages, metricKeys.length);
    log(`bridge: all ${accepted} messages Mosquitto accepted are stored whole, none partly; integrity ok`);
    return results;
  } finally {
    publishing = false;
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await publisher.endAsync(true);
    // The bridge's sessions would otherwise stay on Mosquitto for a day.
    for (let n = 0; n < CONNECTIONS; n++) {
      const c = await connectAsync(BROKER, {
        protocolVersion: 5,
        clientId: `${clientId}-${n}`,
        clean: true,
        reconnectPeriod: 0,
        properties: { sessionExpiryInterval: 0 },
      });
      await c.endAsync();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
  bridgeCrashRounds({ rounds: Number(values.rounds), log: (line) => console.log(line) }).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
