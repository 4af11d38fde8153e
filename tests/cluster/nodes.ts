// Real server processes (src/server.ts through tsx) on one PostgreSQL database, for the cluster test.
import { spawn, type ChildProcess } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.js';

export interface Node {
  child: ChildProcess;
  base: string;
  exited: Promise<unknown>;
  output: () => string;
}

/** Starts a node on `databaseUrl`; resolves once it listens on its ephemeral port. */
export async function startNode(databaseUrl: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Node> {
  const root = projectRoot();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/server.ts')], {
    cwd: root,
    env: {
      DATABASE_URL: databaseUrl,
      SESSION_SECRET: 'cluster-test-secret-the-same-on-every-node',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      NODE_ENV: 'development',
      MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not listen within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node exited (${String(code)}) before listening:\n${out}`));
    });
  });
  return { child, base, exited, output: () => out };
}

export interface SseStream {
  status: number;
  events: { id?: string; event?: string; data?: string; at: number }[];
  ended: Promise<void>;
  close(): void;
}

/** Opens a live stream and collects its events with their arrival times. */
export function openStream(base: string, path: string, headers: Record<string, string>): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, headers: { ...headers, accept: 'text/event-stream' } },
      (res: IncomingMessage) => {
        let text = '';
        const stream: SseStream = {
          status: res.statusCode ?? 0,
          events: [],
          ended: new Promise((r) => res.on('close', () => r())),
          close: () => req.destroy(),
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          const blocks = text.split('\n\n');
          text = blocks.pop()!;
          for (const block of blocks) {
            const e: SseStream['events'][number] = { at: Date.now() };
            for (const line of block.split('\n')) {
              const m = /^(id|event|data): (.*)$/.exec(line);
              if (m) e[m[1] as 'id' | 'event' | 'data'] = m[2];
            }
            if (e.event) stream.events.push(e);
          }
        });
        resolve(stream);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(
  what: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  ms: number,
) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms`);
    await sleep(50);
  }
}
