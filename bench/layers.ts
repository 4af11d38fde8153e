// `npx tsx bench/layers.ts`: what each layer of a Sitewatt answer costs against a bare Fastify
// route, in requests a second over loopback (docs/performance.md, P1 and P2). Alternating
// rounds, medians; about three minutes. Not part of `npm run bench`: it measures the stack, not Sitewatt.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hammer } from './load.js';
import { freePort, ROOT } from './processes.js';

const ROUNDS = 5;
const secret = randomBytes(32).toString('hex');
const base = await freePort();
const server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'layers-server.mjs')], {
  env: { ...process.env, LAYERS_PORT: String(base + 1), LAYERS_SECRET: secret },
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const ports: Record<string, number> = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench/layers-server.mjs did not start in 30 s')), 30_000);
    server.once('exit', (code) => reject(new Error(`bench/layers-server.mjs exited (${code})`)));
    server.stdout.once('data', (d) => {
      clearTimeout(timer);
      resolve(JSON.parse(String(d)));
    });
  });
  const url = (layer: string, path = '/bare') => `http://127.0.0.1:${ports[layer]}${path}`;
  const signedIn = await fetch(url('@fastify/session', '/login'), { method: 'POST' });
  const cookie = signedIn.headers.get('set-cookie')!.split(';')[0];
  // The reader shares the in-memory rows, so the same signed id works there.
  const cases: [string, string, Record<string, string>, string?][] = [
    ['bare route', 'bare', {}],
    ['+ helmet headers', 'helmet', {}],
    ['+ request id', 'request id', {}],
    ['+ helmet headers + request id', 'helmet + request id', {}],
    ['+ @fastify/session, no cookie', '@fastify/session', {}],
    ['+ @fastify/session, cookie', '@fastify/session', { cookie }],
    ['helmet + request id + @fastify/session, cookie', 'helmet + request id + @fastify/session', { cookie }],
    ['helmet + request id + own cookie reader, cookie', 'helmet + request id + own cookie reader', { cookie }],
    // P2's ceiling: its 8 KB answer from a bare route, then with the headers every answer carries.
    ["bare route, a site's 20 metrics (response schema)", 'bare', {}, '/site'],
    ["bare route, a site's 20 metrics serialised once", 'bare', {}, '/site-once'],
    ["helmet + request id, a site's 20 metrics serialised once", 'helmet + request id', {}, '/site-once'],
  ];
  await hammer(url('bare'), 1);
  const results = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, layer, headers, path] of cases) {
      const load = await hammer(url(layer, path), 3, headers);
      if (load.failures) throw new Error(`${label}: ${load.failures} failures`);
      results.set(label, [...(results.get(label) ?? []), load.rps]);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const bare = median(results.get('bare route')!);
  console.log('| layer | req/s | × bare |\n| --- | --- | --- |');
  for (const [label, v] of results)
    console.log(`| ${label} | ${Math.round(median(v)).toLocaleString('en')} | ${(median(v) / bare).toFixed(2)}× |`);
} finally {
  server.kill('SIGINT');
}
