// `npm run crash -- [--rounds 20] [--keep]`: crash-safety harness. Starts the real
// server on a file database, ingests batches whose timestamps say which batch they belong to, and
// kills the process with SIGKILL at a random moment; then checks the file: integrity_check is ok,
// every batch answered 2xx is fully there, no batch is partly there, the hourly roll-ups agree with
// the raw readings, and the server starts again on the same file. Then the same over MQTT QoS 1
// (tools/crash-mqtt.ts): every PUBACKed message is stored. tests/security/crash.test.ts runs a few
// rounds of each on every `npm test`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { DAY_MS } from '../src/time.js';
import { mqttCrashRounds } from './crash-mqtt.js';

import { seed, startServer } from './crash-server.js';

export { seed, startServer, type Seeded, type Server } from './crash-server.js';

const SPAN_S = 4_000; // seconds of timestamps reserved per batch: batch b owns [T0 + b·SPAN, T0 + (b+1)·SPAN)
const MAX_BATCH = 3_000;

interface Batch {
  id: number;
  size: number;
  acked: boolean;
}

/** Batch `id`: `size` readings, one second apart, spread over the metrics; the value names the batch. */
function batchBody(t0: number, id: number, size: number, metricIds: string[]) {
  return {
    readings: Array.from({ length: size }, (_, i) => ({
      metricId: metricIds[i % metricIds.length],
      timestamp: new Date(t0 + (id * SPAN_S + i) * 1000).toISOString(),
      value: id,
    })),
  };
}

export interface RoundResult {
  round: number;
  sent: number;
  acked: number;
  killedAfterMs: number;
}

/** Checks the file after a kill; throws with every violation. */
export function verify(databasePath: string, t0: number, batches: Batch[]): void {
  const db = new Database(databasePath);
  try {
    const problems: string[] = [];
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
    const count = db.prepare<[number, number], { n: number }>(
      'SELECT count(*) AS n FROM readings WHERE ts >= ? AND ts < ?',
    );
    for (const b of batches) {
      const from = t0 + b.id * SPAN_S * 1000;
      const n = count.get(from, from + SPAN_S * 1000)!.n;
      if (b.acked && n !== b.size) problems.push(`batch ${b.id} was answered 2xx but has ${n} of ${b.size} readings`);
      if (!b.acked && n !== 0 && n !== b.size) problems.push(`batch ${b.id} is partly present: ${n} of ${b.size}`);
    }
    const raw = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM readings').get()!.n;
    const rolled = db.prepare<[], { n: number | null }>('SELECT sum(count) AS n FROM rollups_1h').get()!.n ?? 0;
    if (raw !== rolled) problems.push(`hourly roll-ups count ${rolled} readings but ${raw} are stored`);
    if (problems.length > 0) throw new Error(`crash check failed:\n  ${problems.join('\n  ')}`);
  } finally {
    db.close();
  }
}

/** Runs `rounds` kill rounds on one database file, then a clean start and stop on it. */
export async function crashRounds(opts: {
  rounds: number;
  dir?: string;
  log?: (line: string) => void;
}): Promise<RoundResult[]> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sitewatt-crash-'));
  const databasePath = join(dir, 'crash.db');
  const log = opts.log ?? (() => undefined);
  const { token, metricIds } = await seed(databasePath);
  const t0 = Date.now() - 400 * DAY_MS;
  const batches: Batch[] = [];
  const results: RoundResult[] = [];

  for (let round = 1; round <= opts.rounds; round++) {
    const server = await startServer(databasePath);
    const killAfter = 50 + Math.floor(Math.random() * 1_500);
    let dead = false;
    const worker = async () => {
      while (!dead) {
        const batch: Batch = { id: batches.length, size: 1 + Math.floor(Math.random() * MAX_BATCH), acked: false };
        batches.push(batch);
        try {
          const res = await fetch(`${server.base}/api/readings`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(batchBody(t0, batch.id, batch.size, metricIds)),
          });
          await res.arrayBuffer();
          if (res.status >= 200 && res.status < 300) batch.acked = true;
          else throw new Error(`batch ${batch.id}: ${res.status}`);
        } catch (err) {
          if (!dead) throw err;
        }
      }
    };
    const workers = [worker(), worker(), worker()];
    await new Promise((r) => setTimeout(r, killAfter));
    dead = true;
    server.child.kill('SIGKILL');
    await server.exited;
    await Promise.all(workers);
    verify(databasePath, t0, batches);
    const sent = batches.length;
    const acked = batches.filter((b) => b.acked).length;
    results.push({ round, sent, acked, killedAfterMs: killAfter });
    log(`round ${round}: killed after ${killAfter} ms; ${acked} of ${sent} batches acknowledged so far; file ok`);
  }

  // The server starts again on the file, takes a batch, and stops cleanly.
  const server = await startServer(databasePath);
  const last: Batch = { id: batches.length, size: 10, acked: false };
  batches.push(last);
  const res = await fetch(`${server.base}/api/readings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(batchBody(t0, last.id, last.size, metricIds)),
  });
  last.acked = res.ok;
  server.child.kill('SIGTERM');
  const { code } = await server.exited;
  if (!last.acked || code !== 0)
    throw new Error(`restart on the crashed file failed: ingest ${res.status}, exit ${code}\n${server.output()}`);
  verify(databasePath, t0, batches);
  if (!opts.dir) rmSync(dir, { recursive: true, force: true });
  return results;
}

async function main() {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '20' }, keep: { type: 'boolean', default: false } },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  const dir = mkdtempSync(join(tmpdir(), 'sitewatt-crash-'));
  const started = Date.now();
  const results = await crashRounds({ rounds, dir, log: (line) => console.log(line) });
  const acked = results.at(-1)?.acked ?? 0;
  console.log(
    `${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s: ${acked} acknowledged batches all present, no partial batch, integrity ok, clean restart.`,
  );
  const mqttDir = mkdtempSync(join(tmpdir(), 'sitewatt-crash-mqtt-'));
  const mqtt = await mqttCrashRounds({ rounds, dir: mqttDir, log: (line) => console.log(line) });
  console.log(
    `MQTT: ${rounds} rounds: ${mqtt.at(-1)?.acked ?? 0} PUBACKed messages all stored, none partial, integrity ok.`,
  );
  if (values.keep) console.log(`databases kept in ${dir} and ${mqttDir}`);
  else for (const d of [dir, mqttDir]) rmSync(d, { recursive: true, force: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
