// P6: many open subscription streams, one ingested batch, per-stream delivery latency.
import { request, type ClientRequest } from 'node:http';
import type { Dataset } from './dataset.js';
import { rssMb, type Child } from './processes.js';
import { fmt, median, type Row } from './table.js';

interface Stream {
  req: ClientRequest;
  events: number;
  /** performance.now() when the stream had all the events it expects. */
  doneAt: number | null;
}

export interface Fanout {
  streams: number;
  complete: number;
  p50: number;
  p99: number;
}

/** Opens one SSE stream; resolves once its first bytes (the `retry:` line) arrive. */
function open(url: string, token: string, expected: number): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      agent: false,
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
    });
    const stream: Stream = { req, events: 0, doneAt: null };
    req.on('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream ${url}: ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const b of blocks)
          if (b.includes('event: reading') && ++stream.events === expected) stream.doneAt = performance.now();
        resolve(stream);
      });
      res.on('error', () => undefined); // destroyed at the end on purpose
    });
    req.on('error', (err) => (stream.doneAt === null && stream.events === 0 ? reject(err) : undefined));
    req.end();
  });
}

const percentile = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] : Number.NaN;

export async function withStreams<T>(
  base: string,
  owners: { token: string; subscriptions: string[] }[],
  expectedPerStream: number,
  body: (measure: (post: () => Promise<void>) => Promise<Fanout>) => Promise<T>,
): Promise<T> {
  const targets = owners.flatMap((o) =>
    o.subscriptions.map((id) => ({ url: `${base}/api/subscriptions/${id}/stream`, token: o.token })),
  );
  const streams: Stream[] = [];
  try {
    // 50 at a time: a thousand simultaneous connects would measure the accept queue, not streams.
    for (let i = 0; i < targets.length; i += 50) {
      streams.push(
        ...(await Promise.all(targets.slice(i, i + 50).map((t) => open(t.url, t.token, expectedPerStream)))),
      );
    }
    return await body(async (post) => {
      for (const s of streams) {
        s.events = 0;
        s.doneAt = null;
      }
      const t0 = performance.now();
      await post();
      const deadline = t0 + 10_000;
      while (streams.some((s) => s.doneAt === null) && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      const latencies = streams.filter((s) => s.doneAt !== null).map((s) => (s.doneAt as number) - t0);
      return {
        streams: streams.length,
        complete: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      };
    });
  } finally {
    for (const s of streams) s.req.destroy();
  }
}

/** Opens every stream user's streams, ingests three batches one after another, reports the median p99. */
export async function fanoutRow(server: Child, ds: Dataset, token: string): Promise<Row> {
  const pid = server.proc.pid as number;
  const rssBefore = rssMb(pid);
  let rssPeak = rssBefore;
  const batches = await withStreams(server.url, ds.streamUsers, 20, async (measure) => {
    const results: Fanout[] = [];
    for (let b = 0; b < 3; b++) {
      rssPeak = Math.max(rssPeak, rssMb(pid));
      const ts = new Date(Math.floor(Date.now() / 1000) * 1000 + b).toISOString();
      const body = JSON.stringify({
        readings: ds.writable.map((metricId, i) => ({ metricId, timestamp: ts, value: i })),
      });
      results.push(
        await measure(async () => {
          const res = await fetch(`${server.url}/api/readings`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body,
          });
          if (res.status !== 200) throw new Error(`P6 batch: ${res.status} ${await res.text()}`);
        }),
      );
      rssPeak = Math.max(rssPeak, rssMb(pid));
      await new Promise((r) => setTimeout(r, 500));
    }
    return results;
  });
  const streams = batches[0].streams;
  const complete = Math.min(...batches.map((b) => b.complete));
  const p99 = median(batches.map((b) => b.p99));
  return {
    figure: 'P6',
    what: `${streams} open streams, one batch of ${ds.writable.length} readings (20 events a stream)`,
    ours: `${complete}/${streams} complete, p99 ${fmt(p99)} ms, RSS ${fmt(rssPeak)} MB`,
    baseline: `— (RSS before streams ${fmt(rssBefore)} MB)`,
    ratio: '—',
    goal: 'all; p99 ≤ 500 ms; ≤ 300 MB',
    pass: complete === streams && p99 <= 500 && rssPeak <= 300,
  };
}
