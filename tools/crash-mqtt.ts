// The crash harness's MQTT rounds (`npm run crash` runs them after the HTTP ones): the real server
// with its built-in broker on a file database, clients streaming QoS 1 messages whose timestamp and
// values name the message, and SIGKILL at a random moment. Rounds alternate MQTT 3.1.1 and MQTT 5. Then every message that got its PUBACK
// must be stored whole, no message may be partly stored, and the file must pass integrity_check.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync, type MqttClient } from 'mqtt';
import { DAY_MS } from '../src/time.js';
import { seed, startServer, type Server } from './crash-server.js';

interface Message {
  id: number;
  acked: boolean;
}

export interface MqttRoundResult {
  round: number;
  protocolVersion: 4 | 5;
  sent: number;
  acked: number;
  killedAfterMs: number;
}

const CLIENTS = 4;
/** Messages each client keeps in flight. */
const IN_FLIGHT = 16;

async function brokerPort(server: Server, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = /"port":(\d+)[^\n]*"msg":"MQTT broker listening"/.exec(server.output());
    if (m) return Number(m[1]);
    if (Date.now() > until) throw new Error(`no MQTT broker in the server's output:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every PUBACKed message whole, none partial; throws with every violation. */
export function verify(databasePath: string, t0: number, messages: Message[], perMessage: number) {
  const db = new Database(databasePath);
  try {
    const problems: string[] = [];
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
    const count = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM readings WHERE ts = ?');
    for (const m of messages) {
      const n = count.get(t0 + m.id * 1000)!.n;
      if (m.acked && n !== perMessage) problems.push(`message ${m.id} was PUBACKed but has ${n} of ${perMessage}`);
      if (!m.acked && n !== 0 && n !== perMessage) problems.push(`message ${m.id} is partly stored: ${n}`);
    }
    if (problems.length > 0) throw new Error(`MQTT crash check failed:\n  ${problems.join('\n  ')}`);
  } finally {
    db.close();
  }
}

export async function mqttCrashRounds(opts: {
  rounds: number;
  dir?: string;
  log?: (line: string) => void;
}): Promise<MqttRoundResult[]> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sitewatt-crash-mqtt-'));
  const databasePath = join(dir, 'crash.db');
  const log = opts.log ?? (() => undefined);
  const { ingestKey, deviceId, metricKeys } = await seed(databasePath);
  const t0 = Date.now() - 400 * DAY_MS;
  const messages: Message[] = [];
  const results: MqttRoundResult[] = [];
  const env = { MQTT_PORT: '0', MQTT_RATE_PER_KEY: '1000000', MQTT_BURST_PER_KEY: '1000000' };

  for (let round = 1; round <= opts.rounds; round++) {
    const server = await startServer(databasePath, 20_000, env);
    const port = await brokerPort(server);
    const protocolVersion = round % 2 === 1 ? 4 : 5;
    const clients: MqttClient[] = await Promise.all(
      Array.from({ length: CLIENTS }, () =>
        connectAsync(`mqtt://127.0.0.1:${port}`, { username: ingestKey, reconnectPeriod: 0, protocolVersion }),
      ),
    );
    let dead = false;
    const stream = async (client: MqttClient) => {
      while (!dead) {
        const m: Message = { id: messages.length, acked: false };
        messages.push(m);
        const values = Object.fromEntries(metricKeys.map((k) => [k, m.id]));
        try {
          await client.publishAsync(
            `sitewatt/devices/${deviceId}/telemetry`,
            JSON.stringify({ ts: t0 + m.id * 1000, values }),
            { qos: 1 },
          );
          m.acked = true;
        } catch (err) {
          if (!dead) throw err;
        }
      }
    };
    // A publish never answered (the kill) must not keep the round waiting: the socket's close ends it.
    const streams = clients.flatMap((c) => Array.from({ length: IN_FLIGHT }, () => stream(c).catch(() => undefined)));
    const killAfter = 100 + Math.floor(Math.random() * 1_500);
    await new Promise((r) => setTimeout(r, killAfter));
    // The streams go on until the process is gone: PUBACKs already on their way still count, and a
    // message sent after the kill is never acknowledged, so the kill always lands mid-stream.
    server.child.kill('SIGKILL');
    await server.exited;
    dead = true;
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await Promise.race([Promise.all(streams), new Promise((r) => setTimeout(r, 2_000))]);
    verify(databasePath, t0, messages, metricKeys.length);
    const acked = messages.filter((m) => m.acked).length;
    results.push({ round, protocolVersion, sent: messages.length, acked, killedAfterMs: killAfter });
    log(
      `MQTT round ${round} (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}): killed after ${killAfter} ms; ${acked} of ${messages.length} messages PUBACKed so far; all stored`,
    );
  }
  if (!opts.dir) rmSync(dir, { recursive: true, force: true });
  return results;
}
