// Singleton jobs (the simulator, retention and partition maintenance, the daily fold, the no_data
// sweep) run on one node of a cluster at a time. A node holds a job's lease while it renews it; a
// node that dies stops renewing, and another takes the lease once it expires
// (docs/decisions/018-stateless-nodes.md). One process on SQLite holds every lease.

import type { Leases } from '../db/coordination.js';

export type { Leases };

/** One process: it holds every lease. */
export const soleLeases: Leases = {
  acquire: () => Promise.resolve(true),
  release: () => Promise.resolve(),
};

export interface LeaseTiming {
  /** How long a lease lasts unrenewed: how long a dead node's job waits for another node. */
  ttlMs: number;
  /** How often the holder renews (and others try to take it): well under ttlMs. */
  renewMs: number;
}

export const DEFAULT_LEASE: LeaseTiming = { ttlMs: 30_000, renewMs: 10_000 };

export interface SingletonJob {
  /** Called when this node takes the lease. */
  start(): void | Promise<void>;
  /** Called when it loses the lease (or cannot tell whether it still holds it) and at stop. */
  stop(): void | Promise<void>;
}

/**
 * Runs `job` while this node holds lease `name`. A renewal that fails (the database is out of
 * reach) stops the job: another node may take the lease once it expires, and two copies of a job
 * must not run for long. Every job is idempotent anyway, so a pause of this node past the ttl (and
 * so a moment with two runners) costs work, not correctness.
 */
export function runSingleton(
  leases: Leases,
  name: string,
  holder: string,
  timing: LeaseTiming,
  job: SingletonJob,
  onError: (err: unknown) => void,
) {
  let running = false;
  let stopped = false;
  let ticking: Promise<void> = Promise.resolve();
  const tick = async () => {
    let held = false;
    try {
      held = await leases.acquire(name, holder, timing.ttlMs);
    } catch (err) {
      onError(err);
    }
    if (stopped) return;
    try {
      if (held && !running) {
        running = true;
        await job.start();
      } else if (!held && running) {
        running = false;
        await job.stop();
      }
    } catch (err) {
      onError(err);
    }
  };
  const schedule = () => (ticking = ticking.then(tick));
  schedule();
  const timer = setInterval(schedule, timing.renewMs);
  timer.unref();
  return {
    get running() {
      return running;
    },
    /** Stops the job and gives the lease up. */
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
      if (running) {
        running = false;
        await Promise.resolve(job.stop()).catch(onError);
      }
      await leases.release(name, holder).catch(onError);
    },
  };
}
