// What an app's live hub delivers, for tests that expect a live event. On SQLite the hub has a
// write's readings before the write returns; on PostgreSQL they go through the relay (a
// live_batches row, then NOTIFY: src/db/postgres/live-feed.ts) and arrive a moment after. So a test
// waits for the event it expects, within a bound, and asserts on what arrived.
import type { App } from '../../src/app.js';
import type { LiveReading } from '../../src/services/live.js';

export interface LiveTap {
  /** Every batch delivered since the tap was opened, in order. */
  readonly batches: LiveReading[][];
  /** Every reading delivered since the tap was opened, in order. */
  readonly seen: LiveReading[];
  /** Resolves with `seen` once `done(seen)` holds; rejects after `ms`. */
  until(done: (seen: LiveReading[]) => boolean, ms?: number): Promise<LiveReading[]>;
  /** Resolves once no batch has arrived for `quietMs`; rejects if batches keep coming for `ms`. */
  quiet(quietMs?: number, ms?: number): Promise<void>;
  close(): void;
}

export function tapLive(app: App): LiveTap {
  const batches: LiveReading[][] = [];
  const seen: LiveReading[] = [];
  const waiters = new Set<() => void>();
  let lastAt = Date.now();
  const off = app.services.hub.onReadings((batch) => {
    batches.push(batch);
    seen.push(...batch);
    lastAt = Date.now();
    for (const check of [...waiters]) check();
  });
  return {
    batches,
    seen,
    until(done, ms = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!done(seen)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(seen);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`waited ${ms} ms for a live event; got ${JSON.stringify(seen)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async quiet(quietMs = 300, ms = 5_000) {
      const deadline = Date.now() + ms;
      lastAt = Date.now();
      while (Date.now() - lastAt < quietMs) {
        if (Date.now() > deadline) throw new Error(`live batches kept coming for ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => void off(),
  };
}
