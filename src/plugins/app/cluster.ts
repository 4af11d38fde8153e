// What makes several nodes on one PostgreSQL database behave as one (docs/decisions/018-stateless-nodes.md):
// shared counts and slots, live batches through the database, singleton jobs under leases, and
// start-up work under a lock. On SQLite one process is the whole cluster: jobs just run, counts
// stay in memory, and nothing here touches the database.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RateLimitStore, StreamSlots, Throttle } from '../../db/coordination.js';
import type { PgDb } from '../../db/postgres/client.js';
import {
  pgExclusive,
  pgLeases,
  pgLoginThrottle,
  pgRateLimitStore,
  pgStreamSlots,
  pruneCoordination,
} from '../../db/postgres/coordination.js';
import { pruneLive, startLiveFeed } from '../../db/postgres/live-feed.js';
import { runSingleton, type SingletonJob } from '../../services/leases.js';
import { LiveHub } from '../../services/live.js';
import { LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS } from '../../services/login-throttle.js';
import { MINUTE_MS } from '../../time.js';

export interface Cluster {
  /** This node's name in job leases. */
  readonly holder: string;
  /** Runs `job` while this node holds its lease (on SQLite: at once); stopped at close. */
  singleton(name: string, job: SingletonJob): void;
  /** Runs `fn` while no other node runs `name` (the demo seed, when nodes boot together). */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** A rate-limit policy's shared counts, or undefined to count in memory. */
  rateLimitStore(policy: string): RateLimitStore | undefined;
}

export interface ClusterParts {
  cluster: Cluster;
  hub: LiveHub;
  throttle?: Throttle;
  streamSlots?: StreamSlots;
  close(): Promise<void>;
}

/** Live batches are kept this long: a stream reconnecting later than that gets a reset. */
const LIVE_KEEP_MS = 10 * MINUTE_MS;

/** One process: jobs run from start to close, everything else in memory. */
export function soleNode(): ClusterParts {
  const jobs: SingletonJob[] = [];
  return {
    cluster: {
      holder: 'this process',
      singleton(_name, job) {
        jobs.push(job);
        void job.start();
      },
      exclusive: (_name, fn) => fn(),
      rateLimitStore: () => undefined,
    },
    hub: new LiveHub(),
    async close() {
      for (const job of jobs) await job.stop();
    },
  };
}

export async function clusterNode(
  pg: PgDb,
  opts: { url: string; leaseMs: number; rateWindowMs: number; log: FastifyBaseLogger },
): Promise<ClusterParts> {
  const pool = pg.$client;
  const { log } = opts;
  const holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const leases = pgLeases(pool);
  const timing = { ttlMs: opts.leaseMs, renewMs: Math.max(100, Math.floor(opts.leaseMs / 3)) };
  const running: ReturnType<typeof runSingleton>[] = [];
  const hub = new LiveHub();
  const feed = await startLiveFeed({
    url: opts.url,
    pool,
    hub,
    onError: (err) => log.error({ err }, 'live feed failed'),
  });
  const streamSlots = pgStreamSlots(pool, 60_000, (err) => log.error({ err }, 'stream lease renewal failed'));
  const cluster: Cluster = {
    holder,
    singleton(name, job) {
      const logged: SingletonJob = {
        start: () => {
          log.info({ job: name, holder }, 'this node runs the job');
          return job.start();
        },
        stop: () => {
          log.info({ job: name, holder }, 'this node no longer runs the job');
          return job.stop();
        },
      };
      running.push(
        runSingleton(leases, name, holder, timing, logged, (err) => log.error({ err, job: name }, 'job lease failed')),
      );
    },
    exclusive: (name, fn) => pgExclusive(pool, name, fn),
    rateLimitStore: (policy) => pgRateLimitStore(pool, policy),
  };
  // What no node needs any more, pruned by one of them every minute.
  let pruning: NodeJS.Timeout | undefined;
  cluster.singleton('coordination-prune', {
    start() {
      const prune = () =>
        Promise.all([
          pruneLive(pool, LIVE_KEEP_MS),
          pruneCoordination(pool, Date.now(), { rateWindowMs: opts.rateWindowMs, loginWindowMs: LOGIN_WINDOW_MS }),
        ]).catch((err: unknown) => log.error({ err }, 'pruning shared state failed'));
      pruning = setInterval(prune, MINUTE_MS);
      pruning.unref();
    },
    stop: () => clearInterval(pruning),
  });
  return {
    cluster,
    hub,
    throttle: pgLoginThrottle(pool, LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS),
    streamSlots,
    async close() {
      // Leases are given up so that another node takes the jobs at once.
      await Promise.all(running.map((r) => r.stop()));
      streamSlots.stop();
      await feed.stop();
    },
  };
}
