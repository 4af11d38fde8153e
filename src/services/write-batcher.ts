import type { ReadingRow } from '../db/repositories/readings.js';
import type { ReadingsService } from './readings.js';

type Rows = (ReadingRow & { metricId: string })[];

interface Pending {
  rows: Rows;
  resolve(stored: number): void;
  reject(err: unknown): void;
}

export interface WriteBatcherOptions {
  /** How long the first message of a batch waits for others (ms); 0 commits each message alone. */
  windowMs: number;
  /** A batch with this many readings is committed at once, without waiting for the window. */
  maxRows: number;
}

/**
 * Commits the readings of messages that arrive within a few milliseconds of each other in one
 * transaction, for transports whose devices each send small messages (MQTT): a transaction per
 * message costs a commit each, which bounds the message rate long before parsing does. Each
 * message's promise settles only after the transaction holding it committed, so a transport that
 * acknowledges on it acknowledges nothing that is not stored. If the shared transaction fails,
 * each message of it is committed on its own, so one message that cannot be stored (its metric
 * deleted meanwhile) refuses only itself.
 */
export function writeBatcher(readings: ReadingsService, opts: WriteBatcherOptions) {
  let queue: Pending[] = [];
  let queuedRows = 0;
  let timer: NodeJS.Timeout | undefined;
  const stats = { batches: 0, messages: 0, fallbacks: 0 };

  async function flush() {
    clearTimeout(timer);
    timer = undefined;
    const batch = queue;
    queue = [];
    queuedRows = 0;
    if (batch.length === 0) return;
    stats.batches++;
    stats.messages += batch.length;
    try {
      await readings.write(batch.length === 1 ? batch[0].rows : batch.flatMap((p) => p.rows));
      for (const p of batch) p.resolve(p.rows.length);
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      stats.fallbacks++;
      for (const p of batch) await readings.write(p.rows).then(p.resolve, p.reject);
    }
  }

  return {
    stats,
    /** Resolves with the number of readings stored once they are committed; rejects if they cannot be. */
    write(rows: Rows): Promise<number> {
      return new Promise<number>((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        queuedRows += rows.length;
        if (queuedRows >= opts.maxRows || opts.windowMs === 0) void flush();
        else timer ??= setTimeout(() => void flush(), opts.windowMs);
      });
    },
    /** Commits what is waiting now (on shutdown, before the database closes). */
    flush,
  };
}

export type WriteBatcher = ReturnType<typeof writeBatcher>;
