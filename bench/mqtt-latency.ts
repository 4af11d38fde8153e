// P11/P12's publish-to-SSE-event latency: a few subscription streams over a sample of the devices'
// metrics stay open while the load runs, as dashboards watching the fleet would. Each message sent
// to a sampled device is timed from the moment it is sent to the arrival of its first metric's
// event on a stream: the batch window, the commit, the fan-out and both event loops' lag.
import { request, type ClientRequest } from 'node:http';

export interface SampledDevice {
  id: string;
  /** The device's metrics, in the order of the message's values. */
  metrics: { id: string; key: string }[];
}

export interface Delivery {
  /** ms from send to event, one per message whose event arrived. */
  latencies: number[];
  /** Messages sent to a sampled device whose event never arrived. */
  missing: number;
}

/** A stream's events as they arrive, parsed incrementally (the stream never ends). */
function openStream(url: string, token: string, onEvent: (data: string, at: number) => void): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      agent: false,
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream ${url}: ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const b of blocks) {
          if (!b.includes('event: reading')) continue;
          const data = /^data: (.*)$/m.exec(b)?.[1];
          if (data) onEvent(data, at);
        }
        resolve(req);
      });
      res.on('error', () => undefined); // destroyed at the end on purpose
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Creates `streams` subscriptions over the sampled devices' metrics (the token's user may hold 10
 * open streams) and opens them. `sent` is called as each message goes out; `take` returns what
 * was measured since the last `take` and starts afresh.
 */
export async function openProbe(base: string, token: string, sample: SampledDevice[], streams: number) {
  // A message is named by its first metric, its timestamp and that value: several connections
  // send for one device, and the value (from the connection's index) tells apart two of them
  // that happen to send in the same millisecond.
  const firstMetric = new Map(sample.map((d) => [d.id, d.metrics[0]]));
  const timed = new Set(sample.map((d) => d.metrics[0].id));
  const pending = new Map<string, number[]>();
  let latencies: number[] = [];
  const requests: ClientRequest[] = [];
  const onEvent = (data: string, at: number) => {
    const e = JSON.parse(data) as { metricId: string; timestamp: string; value: number };
    if (!timed.has(e.metricId)) return;
    const key = `${e.metricId}|${Date.parse(e.timestamp)}|${e.value}`;
    const t = pending.get(key)?.shift();
    if (t === undefined) return;
    latencies.push(at - t);
    if (pending.get(key)!.length === 0) pending.delete(key);
  };
  for (let s = 0; s < streams; s++) {
    const metricIds = sample.filter((_, i) => i % streams === s).flatMap((d) => d.metrics.map((m) => m.id));
    if (metricIds.length === 0) continue;
    const res = await fetch(`${base}/api/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench latency ${s}`, metricIds }),
    });
    if (res.status !== 201) throw new Error(`bench: subscription: ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: string };
    requests.push(await openStream(`${base}/api/subscriptions/${id}/stream`, token, onEvent));
  }
  return {
    devices: sample.length,
    streams: requests.length,
    sent(deviceId: string, ts: number, values: Record<string, number>) {
      const m = firstMetric.get(deviceId);
      if (!m) return;
      const key = `${m.id}|${ts}|${values[m.key]}`;
      const list = pending.get(key);
      if (list) list.push(performance.now());
      else pending.set(key, [performance.now()]);
    },
    take(): Delivery {
      let missing = 0;
      for (const l of pending.values()) missing += l.length;
      const result = { latencies, missing };
      latencies = [];
      pending.clear();
      return result;
    },
    close() {
      for (const r of requests) r.destroy();
    },
  };
}

export type Probe = Awaited<ReturnType<typeof openProbe>>;
