// Graceful shutdown: SIGTERM with a request in flight and a stream open. The in-flight request
// completes, the stream ends, the process exits 0 within 10 s, and the database is closed cleanly.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { seed, startServer, type Server } from '../../tools/crash.js';

let dir: string;
let server: Server | undefined;
afterEach(() => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('Graceful shutdown (src/server.ts)', () => {
  it(
    'When SIGTERM arrives with an ingestion in flight and a stream open, then the request completes, the stream ends, and the process exits 0 within 10 s with the database closed',
    { timeout: 60_000 },
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'sitewatt-shutdown-'));
      const databasePath = join(dir, 'shutdown.db');
      const { token, metricIds } = await seed(databasePath);
      server = await startServer(databasePath);
      const { base } = server;
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const sub = await (
        await fetch(`${base}/api/subscriptions`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ name: 'S', metricIds }),
        })
      ).json();

      // The stream: headers in, then wait for its end.
      const url = new URL(`${base}/api/subscriptions/${sub.id}/stream`);
      // Wrapped: resolving with a bare promise would wait for the stream's end here.
      const stream = await new Promise<{ ended: Promise<string> }>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            headers: { authorization: auth.authorization },
            agent: false,
          },
          (res) => {
            // Rejected, not asserted: an assertion thrown in this callback would hang the test instead of failing it.
            if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
            let text = '';
            res.setEncoding('utf8').on('data', (c: string) => (text += c));
            resolve({ ended: new Promise((r) => res.on('end', () => r(text)).on('close', () => r(text))) });
          },
        );
        req.on('error', reject).end();
      });

      // The slow-ish request: 10,000 readings (validation, one transaction, roll-ups); SIGTERM once its
      // body is sent and the server has logged it as incoming. Only then is it in flight: a request whose
      // bytes are still in the socket's buffer when SIGTERM is handled is a new one, and gets 503.
      const t0 = Date.now() - 86_400_000;
      const readings = Array.from({ length: 10_000 }, (_, i) => ({
        metricId: metricIds[i % metricIds.length],
        timestamp: new Date(t0 + i * 1000).toISOString(),
        value: i,
      }));
      const body = JSON.stringify({ readings });
      const ingest = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: '/api/readings',
            method: 'POST',
            headers: { ...auth, 'content-length': Buffer.byteLength(body) },
            agent: false,
          },
          (res) => {
            let text = '';
            res
              .setEncoding('utf8')
              .on('data', (c: string) => (text += c))
              .on('end', () => resolve({ status: res.statusCode!, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body, () => {
          void until(() => server!.output().includes('"url":"/api/readings"')).then(
            () => server!.child.kill('SIGTERM'),
            reject,
          );
        });
      });
      const signalled = Date.now();

      const done = await ingest;
      expect(done.status, done.body).toBe(200);
      expect(JSON.parse(done.body)).toEqual({ stored: 10_000 });
      expect(await stream.ended).toContain('retry: 3000');
      const { code, signal } = await server.exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(10_000);

      // Closed cleanly: the last connection's close checkpoints the WAL into the file and removes it.
      const wal = `${databasePath}-wal`;
      expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
      const db = new Database(databasePath);
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect((db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n).toBe(10_000);
      } finally {
        db.close();
      }
    },
  );
});

/** Resolves once `ready()` is true, checking every 5 ms; rejects after `ms`. */
async function until(ready: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !ready(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > end) throw new Error(`not ready within ${ms} ms`);
  }
}
