// WAL checkpoints off the event loop. SQLite copies the write-ahead log back into the database
// file in a "checkpoint"; by default the connection that commits does it, every 1,000 pages,
// inside that commit: with synchronous=NORMAL it also fsyncs the database file. On the server's
// only connection that is the event loop, so every few ingestion batches one of them (and every
// request queued behind it) waited for a checkpoint of the whole log. A worker thread with its own
// connection checkpoints instead, a few times a second; PASSIVE checkpoints never wait for or block
// the writer, and a commit no longer pays for the copy (docs/performance.md, P4).
//
// The log restarts from its beginning only when a write starts after a checkpoint has copied all of
// it; under sustained ingestion a commit often lands mid-checkpoint, so the server's connection
// still checkpoints once the log reaches BACKSTOP_PAGES (SQLite's wal_autocheckpoint). By then the
// worker has copied nearly all of it, so that is short; and if the worker fails (logged), it is
// what keeps the log bounded.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** Log pages (4 KiB each) after which the committing connection checkpoints anyway: ~31 MiB. */
export const BACKSTOP_PAGES = 8_000;
export const CHECKPOINT_EVERY_MS = 200;
const STOP_TIMEOUT_MS = 2_000;

// CommonJS evaluated in the worker, so it runs the same from src/ (tsx) and from the dist/ bundle.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const message = (err) => String((err && err.message) || err);
let db = null;
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('busy_timeout = 1000');
} catch (err) {
  parentPort.postMessage({ error: 'cannot open the database: ' + message(err) });
}
let failing = false;
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failing = false;
  } catch (err) {
    // Once per run of failures, not every tick.
    if (!failing) parentPort.postMessage({ error: message(err) });
    failing = true;
  }
};
const timer = db && setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db?.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the worker and closes its connection; resolves once the thread has exited. */
  stop(): Promise<void>;
}

/**
 * Starts checkpointing `path` from a worker thread and raises the connection's own
 * auto-checkpoint threshold to the backstop. File databases only (`:memory:` has no log).
 */
export function startCheckpointer(
  client: Database.Database,
  path: string,
  onError: (message: string) => void,
  everyMs = CHECKPOINT_EVERY_MS,
): Checkpointer {
  client.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, everyMs } });
  worker.on('message', (m: { error?: string }) => m.error && onError(m.error));
  worker.on('error', (err) => onError(String(err)));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // Never keeps the process alive on its own: shutdown stops it, a crash path need not. After the
  // listeners: adding a 'message' listener refs the worker again.
  worker.unref();
  return {
    async stop() {
      worker.ref(); // so the process waits for the thread's exit rather than ending first
      worker.postMessage('stop');
      // A wedged worker must not hold up shutdown: its connection only ever read and checkpointed.
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
