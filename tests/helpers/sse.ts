// A small Server-Sent Events client over a real socket: inject() cannot read a response that never ends.
import { request, type IncomingMessage } from 'node:http';

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

export interface SseStream {
  status: number;
  headers: IncomingMessage['headers'];
  readonly body: string;
  readonly events: SseEvent[];
  /** Resolves when the server ends the response (or the socket closes). */
  ended: Promise<void>;
  /** Resolves once `n` events of type `type` have arrived; rejects after `ms`. */
  waitFor(type: string, n: number, ms?: number): Promise<SseEvent[]>;
  close(): void;
}

export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .slice(0, -1)
    .map((block) => {
      const e: SseEvent = {};
      for (const line of block.split('\n')) {
        const m = /^(id|event|data): (.*)$/.exec(line);
        if (m) e[m[1] as keyof SseEvent] = m[2];
      }
      return e;
    })
    .filter((e) => e.event !== undefined);
}

/** Opens `path` on 127.0.0.1:`port`; resolves when the status line and headers have arrived. */
export function openSse(port: number, path: string, headers: Record<string, string>, ms = 10_000): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: { ...headers, accept: 'text/event-stream' },
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no response headers in time'));
    }, ms);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      let body = '';
      const waiters = new Set<() => void>();
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        for (const check of [...waiters]) check();
      });
      res.on('end', endResolve);
      res.on('close', endResolve);
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          return body;
        },
        get events() {
          return parseSse(body);
        },
        ended,
        waitFor(type, n, wait = 8000) {
          return new Promise((ok, fail) => {
            const check = () => {
              const found = parseSse(body).filter((e) => e.event === type);
              if (found.length >= n) {
                waiters.delete(check);
                clearTimeout(t);
                ok(found);
              }
            };
            const t = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`waited ${wait} ms for ${n} "${type}" events; got:\n${body}`));
            }, wait);
            waiters.add(check);
            check();
          });
        },
        close() {
          req.destroy();
        },
      });
    });
    req.end();
  });
}
