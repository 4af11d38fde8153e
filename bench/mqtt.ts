// P11/P12: field devices' sustained load. N devices, each on its own MQTT connection (spread over
// several 127.0.0.x source addresses, as many devices' addresses would be: one address has about
// 28,000 ephemeral ports), each sending 3 data points every 3 s at QoS 1; messages and data points
// stored per second, p99 publish-to-PUBACK, p99 publish-to-SSE-event on a sample of the devices,
// lost messages (never PUBACKed), server RSS per connection. Then the same load over HTTP telemetry.
import { MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { openProbe, type Delivery, type SampledDevice } from './mqtt-latency.js';
import { rssMb, type Child } from './processes.js';
import type { DeviceMetric } from './store.js';
import { fmt, type Row } from './table.js';

interface Device extends SampledDevice {
  siteId: string;
}

const PERIOD_MS = 3_000;
const SOURCES = 8;
/** Every SAMPLE_EVERY-th device's messages are timed to their SSE event, over up to SSE_STREAMS streams. */
const SAMPLE_EVERY = 10;
const SSE_STREAMS = 3;
/** At most this many devices timed: a subscription holds at most 1,000 metrics. */
const MAX_SAMPLED = 300;

/** The soft limit of open files: the bench holds one socket per connection, and so does the server. */
function openFilesLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

const percentile = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] : Number.NaN;

/** Devices of the dataset with three metrics each, and a site ingest key for each site the token may manage. */
async function devicesWithKeys(base: string, metrics: DeviceMetric[], token: string) {
  const byDevice = new Map<string, Device>();
  for (const m of metrics) {
    const d = byDevice.get(m.deviceId) ?? { id: m.deviceId, siteId: m.siteId, metrics: [] };
    d.metrics.push({ id: m.id, key: m.key });
    byDevice.set(d.id, d);
  }
  const rows = [...byDevice.values()].filter((d) => d.metrics.length >= 3);
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
    .map((r) => ({ ...r, metrics: r.metrics.slice(0, 3) }));
  return { devices, keys };
}

/**
 * Adds devices (three gauges each) through the API until there are `n`, spread over the sites the
 * keys write to: each connection then sends as a device of its own, as a field device does, so each
 * metric's readings arrive in time order. Connections sharing a device interleave their timestamps,
 * and a reading older than its hour's newest makes ingestion re-read that hour.
 */
async function addDevices(base: string, token: string, devices: Device[], keys: Map<string, string>, n: number) {
  const sites = [...keys.keys()];
  const missing = n - devices.length;
  const one = async (k: number) => {
    const siteId = sites[k % sites.length];
    const res = await fetch(`${base}/api/sites/${siteId}/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `Bench logger ${k}`,
        type: 'meter',
        metrics: ['power', 'voltage', 'current'].map((key) => ({ key, name: key, unit: 'x' })),
      }),
    });
    if (res.status !== 201) throw new Error(`bench: creating a device answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { id: string; metrics: { id: string; key: string }[] };
    devices.push({ id: body.id, siteId, metrics: body.metrics.map((m) => ({ id: m.id, key: m.key })) });
  };
  for (let k = 0; k < missing; k += 20)
    await Promise.all(Array.from({ length: Math.min(20, missing - k) }, (_, j) => one(k + j)));
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
  deviceMetrics: () => Promise<DeviceMetric[]>,
  token: string,
  opts: { connections: number; seconds: number; log: (m: string) => void },
): Promise<Row[]> {
  const n = opts.connections;
  // The bench's own process holds n sockets, the server n more; neither may run out of descriptors.
  if (openFilesLimit() < n + 1_000)
    throw new Error(`bench: ${n} connections need \`ulimit -n\` of at least ${n + 1_000} (it is ${openFilesLimit()})`);
  const { devices, keys } = await devicesWithKeys(server.url, await deviceMetrics(), token);
  if (devices.length === 0) throw new Error('bench: no device the bench token may send for');
  if (devices.length < n) {
    opts.log(`P11: adding ${n - devices.length} devices so that each connection sends as its own device`);
    await addDevices(server.url, token, devices, keys, n);
  }
  // More connections than devices: devices are reused (each connection still sends its own messages).
  const deviceOf = (i: number) => devices[i % devices.length];
  const used = devices.slice(0, Math.min(n, devices.length));
  const probe = await openProbe(
    server.url,
    token,
    used.filter((_, i) => i % SAMPLE_EVERY === 0).slice(0, MAX_SAMPLED),
    SSE_STREAMS,
  );
  const valuesOf = (i: number, d: Device, ts: number) => {
    const values = Object.fromEntries(d.metrics.map((m, j) => [m.key, (i + j) % 100]));
    probe.sent(d.id, ts, values);
    return values;
  };
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
  const sources = new Set(clients.map((c) => (c.stream as { localAddress?: string }).localAddress)).size;
  opts.log(
    `P11: ${n} connected from ${sources} source addresses, for ${used.length} devices; ` +
      `${fmt(rssPerConnection, 1)} KiB server RSS each; ` +
      `${probe.devices} devices timed to their events on ${probe.streams} streams; sending for ${opts.seconds} s`,
  );
  const mqtt = await drive(n, opts.seconds, (i, ts) => {
    const d = deviceOf(i);
    const values = valuesOf(i, d, ts);
    return clients[i]
      .publishAsync(`sitewatt/devices/${d.id}/telemetry`, JSON.stringify({ ts, values }), { qos: 1 })
      .then(() => undefined);
  });
  await Promise.all(clients.map((c) => c.endAsync(true)));
  // An event follows its commit at once; a moment for those still on the wire.
  await new Promise((r) => setTimeout(r, 500));
  const mqttSse = probe.take();

  opts.log(`P12: the same load over HTTP telemetry (${n} devices, fetch's keep-alive pool)`);
  const http = await drive(n, opts.seconds, async (i, ts) => {
    const d = deviceOf(i);
    const values = valuesOf(i, d, ts);
    const res = await fetch(`${server.url}/api/devices/${d.id}/telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.get(d.siteId)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ts, values }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(String(res.status));
  });
  await new Promise((r) => setTimeout(r, 500));
  const httpSse = probe.take();
  probe.close();

  const goalRate = n / (PERIOD_MS / 1000);
  const sse = (d: Delivery) =>
    `SSE event p99 ${fmt(percentile(d.latencies, 99))} ms (p50 ${fmt(percentile(d.latencies, 50))}; ` +
    `${d.latencies.length} timed${d.missing ? `, ${d.missing} without event` : ''})`;
  const row = (figure: string, what: string, l: Load, d: Delivery, extra = ''): Row => {
    const rate = l.acked / l.seconds;
    const p99 = percentile(l.latencies, 99);
    const lost = l.sent - l.acked;
    return {
      figure,
      what: `${what}: ${n} devices × 3 points every 3 s for ${opts.seconds} s`,
      ours: `${fmt(rate)} msg/s, ${fmt(rate * 3)} points/s; ack p99 ${fmt(p99)} ms; ${sse(d)}; ${lost} lost${extra}`,
      baseline: `offered ${fmt(goalRate)} msg/s`,
      ratio: `${fmt(rate / goalRate, 2)}×`,
      goal: 'all offered, ack p99 ≤ 250 ms, 0 lost',
      pass: lost === 0 && p99 <= 250 && rate >= goalRate * 0.95 * (opts.seconds / l.seconds),
    };
  };
  return [
    row(
      'P11',
      `MQTT QoS 1, one connection per device (from ${sources} source addresses)`,
      mqtt,
      mqttSse,
      `; ${fmt(rssPerConnection, 1)} KiB server RSS per connection`,
    ),
    row('P12', 'HTTP telemetry, the same devices and rate', http, httpSse),
  ];
}
