// P11/P12: field devices' sustained load. N devices, each on its own MQTT connection (spread over
// several 127.0.0.x source addresses, as many devices' addresses would be), each sending 3 data
// points every 3 s at QoS 1; messages and data points stored per second, p99 publish-to-PUBACK,
// lost messages (never PUBACKed), server RSS per connection. Then the same load over HTTP telemetry.
import Database from 'better-sqlite3';
import { MqttClient } from 'mqtt';
import { connect as tcpConnect } from 'node:net';
import { rssMb, type Child } from './processes.js';
import { fmt, type Row } from './table.js';

interface Device {
  id: string;
  siteId: string;
  keys: string[];
}

const PERIOD_MS = 3_000;
const SOURCES = 8;

const percentile = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] : Number.NaN;

/** Devices of the dataset with three metrics each, and a site ingest key for each site the token may manage. */
async function devicesWithKeys(base: string, dbPath: string, token: string) {
  const db = new Database(dbPath, { readonly: true });
  const rows = db
    .prepare(
      `SELECT d.id AS id, d.site_id AS siteId, group_concat(m.key) AS keys FROM devices d JOIN metrics m ON m.device_id = d.id GROUP BY d.id HAVING count(*) >= 3`,
    )
    .all() as { id: string; siteId: string; keys: string }[];
  db.close();
  const keys = new Map<string, string>();
  for (const siteId of new Set(rows.map((r) => r.siteId))) {
    const res = await fetch(`${base}/api/sites/${siteId}/ingest-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench' }),
    });
    if (res.status === 201) keys.set(siteId, ((await res.json()) as { key: string }).key);
  }
  const devices: Device[] = rows
    .filter((r) => keys.has(r.siteId))
    .map((r) => ({ id: r.id, siteId: r.siteId, keys: r.keys.split(',').slice(0, 3) }));
  return { devices, keys };
}

interface Load {
  sent: number;
  acked: number;
  failed: number;
  latencies: number[];
  seconds: number;
}

/** Every 3 s per device, phases spread evenly; `send` resolves when the message is acknowledged. */
async function drive(n: number, seconds: number, send: (i: number, ts: number) => Promise<void>): Promise<Load> {
  const load: Load = { sent: 0, acked: 0, failed: 0, latencies: [], seconds };
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < n; i++) {
    const tick = () => {
      const t = performance.now();
      load.sent++;
      pending.push(
        send(i, Date.now()).then(
          () => {
            load.acked++;
            load.latencies.push(performance.now() - t);
          },
          () => void load.failed++,
        ),
      );
    };
    timers.push(
      setTimeout(
        () => {
          tick();
          timers.push(setInterval(tick, PERIOD_MS));
        },
        (i / n) * PERIOD_MS,
      ),
    );
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const t of timers) clearTimeout(t);
  // What is still in flight gets 5 s to be acknowledged; after that it counts as lost.
  await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, 5_000))]);
  load.seconds = (performance.now() - start) / 1000;
  return load;
}

export async function mqttRows(
  server: Child,
  mqttPort: number,
  dbPath: string,
  token: string,
  opts: { connections: number; seconds: number; log: (m: string) => void },
): Promise<Row[]> {
  const { devices, keys } = await devicesWithKeys(server.url, dbPath, token);
  if (devices.length === 0) throw new Error('bench: no device the bench token may send for');
  const n = opts.connections;
  // More connections than devices: devices are reused (each connection still sends its own messages).
  const deviceOf = (i: number) => devices[i % devices.length];
  const rssBefore = rssMb(server.proc.pid!);
  opts.log(`P11: opening ${n} MQTT connections from ${SOURCES} source addresses`);
  const clients: MqttClient[] = [];
  for (let i = 0; i < n; i += 200) {
    const batch = Array.from({ length: Math.min(200, n - i) }, (_, j) => {
      const d = deviceOf(i + j);
      const client = new MqttClient(
        () => tcpConnect({ port: mqttPort, host: '127.0.0.1', localAddress: `127.0.0.${2 + ((i + j) % SOURCES)}` }),
        {
          username: keys.get(d.siteId)!,
          protocolVersion: 4,
          reconnectPeriod: 0,
          keepalive: 120,
          clientId: `bench-${i + j}`,
        },
      );
      return new Promise<MqttClient>((resolve, reject) => {
        client.once('connect', () => resolve(client));
        client.once('error', reject);
      });
    });
    clients.push(...(await Promise.all(batch)));
  }
  const rssPerConnection = ((rssMb(server.proc.pid!) - rssBefore) * 1024) / n;
  opts.log(`P11: ${n} connected; ${fmt(rssPerConnection, 1)} KiB RSS each; sending for ${opts.seconds} s`);
  const mqtt = await drive(n, opts.seconds, (i, ts) => {
    const d = deviceOf(i);
    const values = Object.fromEntries(d.keys.map((k, j) => [k, (i + j) % 100]));
    return clients[i]
      .publishAsync(`sitewatt/devices/${d.id}/telemetry`, JSON.stringify({ ts, values }), { qos: 1 })
      .then(() => undefined);
  });
  await Promise.all(clients.map((c) => c.endAsync(true)));

  opts.log(`P12: the same load over HTTP telemetry (${n} devices, fetch's keep-alive pool)`);
  const http = await drive(n, opts.seconds, async (i, ts) => {
    const d = deviceOf(i);
    const values = Object.fromEntries(d.keys.map((k, j) => [k, (i + j) % 100]));
    const res = await fetch(`${server.url}/api/devices/${d.id}/telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.get(d.siteId)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ts, values }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(String(res.status));
  });

  const goalRate = n / (PERIOD_MS / 1000);
  const row = (figure: string, what: string, l: Load): Row => {
    const rate = l.acked / l.seconds;
    const p99 = percentile(l.latencies, 99);
    const lost = l.sent - l.acked;
    return {
      figure,
      what: `${what}: ${n} devices × 3 points every 3 s for ${opts.seconds} s`,
      ours: `${fmt(rate)} msg/s, ${fmt(rate * 3)} points/s; p99 ${fmt(p99)} ms; ${lost} lost`,
      baseline: `offered ${fmt(goalRate)} msg/s`,
      ratio: `${fmt(rate / goalRate, 2)}×`,
      goal: 'all offered, p99 ≤ 250 ms, 0 lost',
      pass: lost === 0 && p99 <= 250 && rate >= goalRate * 0.95 * (opts.seconds / l.seconds),
    };
  };
  return [
    row(
      'P11',
      `MQTT QoS 1, one connection per device (${fmt(rssPerConnection, 1)} KiB server RSS per connection)`,
      mqtt,
    ),
    row('P12', 'HTTP telemetry, the same devices and rate', http),
  ];
}
