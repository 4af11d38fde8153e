// What the nodes of a cluster share besides the data: request counts, sign-in failures, job leases
// and open-stream leases, in the tables of drizzle-pg/0003_cluster.sql
// (docs/decisions/018-stateless-nodes.md). Each answers the interface its service defines.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Leases, RateLimitStore, StreamSlots, Throttle } from '../coordination.js';
import { transaction } from './repositories/sql.js';

/** Counts of one rate-limit policy: one upsert per request, returning the window's count so far. */
export function pgRateLimitStore(pool: pg.Pool, policy: string): RateLimitStore {
  return {
    async hit(key, windowStart) {
      const { rows } = await pool.query<{ count: number }>(
        `INSERT INTO rate_limit_counts (policy, key, window_start, count) VALUES ($1, $2, $3, 1)
         ON CONFLICT (policy, key, window_start) DO UPDATE SET count = rate_limit_counts.count + 1
         RETURNING count`,
        [policy, key, windowStart],
      );
      return rows[0].count;
    },
  };
}

/**
 * The sign-in throttle over one row per failure, so its window slides exactly as the memory one's
 * does. Refused attempts record nothing, so a key holds at most `maxFailures` rows a window.
 */
export function pgLoginThrottle(pool: pg.Pool, maxFailures: number, windowMs: number): Throttle {
  return {
    async retryAfter(key, now = Date.now()) {
      const { rows } = await pool.query<{ n: number; oldest: number | null }>(
        'SELECT count(*)::int AS n, min(at) AS oldest FROM login_failures WHERE key = $1 AND at > $2',
        [key, now - windowMs],
      );
      const { n, oldest } = rows[0];
      if (n < maxFailures || oldest === null) return 0;
      return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    },
    async fail(key, now = Date.now()) {
      await pool.query('INSERT INTO login_failures (key, at) VALUES ($1, $2)', [key, now]);
    },
    async succeed(key) {
      await pool.query('DELETE FROM login_failures WHERE key = $1', [key]);
    },
  };
}

/** Job leases on the database's clock: one upsert takes a free or expired lease, or renews one's own. */
export function pgLeases(pool: pg.Pool): Leases {
  return {
    async acquire(name, holder, ttlMs) {
      const { rowCount } = await pool.query(
        `INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
         WHERE job_leases.holder = EXCLUDED.holder OR job_leases.expires_at < now()`,
        [name, holder, ttlMs],
      );
      return rowCount === 1;
    },
    async release(name, holder) {
      await pool.query('DELETE FROM job_leases WHERE name = $1 AND holder = $2', [name, holder]);
    },
  };
}

/** Who holds job `name` now, if anyone (for /readyz-like reports and tests). */
export async function leaseHolder(pool: pg.Pool, name: string): Promise<string | null> {
  const { rows } = await pool.query<{ holder: string }>(
    'SELECT holder FROM job_leases WHERE name = $1 AND expires_at > now()',
    [name],
  );
  return rows[0]?.holder ?? null;
}

/**
 * Open streams as lease rows that this node renews every ttl/3; a node that dies leaves rows that
 * expire after `ttlMs`, so its users get their slots back within that. Taking a slot counts and
 * inserts under the user's advisory lock, so two nodes cannot both take the last one.
 */
export function pgStreamSlots(pool: pg.Pool, ttlMs = 60_000, onError: (err: unknown) => void = () => {}) {
  const held = new Set<string>();
  const renew = () => {
    if (held.size === 0) return;
    pool
      .query(`UPDATE stream_leases SET expires_at = now() + $2 * interval '1 millisecond' WHERE id = ANY($1)`, [
        [...held],
        ttlMs,
      ])
      .catch(onError);
  };
  const timer = setInterval(renew, ttlMs / 3);
  timer.unref();
  const slots: StreamSlots & { stop(): void } = {
    take: (userId, max) =>
      transaction(pool, async (c) => {
        await c.query("SELECT pg_advisory_xact_lock(hashtext('sitewatt.streams.' || $1))", [userId]);
        const { rows } = await c.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM stream_leases WHERE user_id = $1 AND expires_at > now()',
          [userId],
        );
        if (rows[0].n >= max) return null;
        const id = randomUUID();
        await c.query(
          `INSERT INTO stream_leases (id, user_id, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')`,
          [id, userId, ttlMs],
        );
        held.add(id);
        return id;
      }),
    give(id) {
      held.delete(id);
      pool.query('DELETE FROM stream_leases WHERE id = $1', [id]).catch(onError);
    },
    stop() {
      clearInterval(timer);
    },
  };
  return slots;
}

/**
 * Deletes what no node needs any more: counts of windows long past, failures outside the throttle's
 * window, expired stream leases. Any node may run it; it is the maintenance job's.
 */
export async function pruneCoordination(
  pool: pg.Pool,
  now: number,
  keepMs: { rateWindowMs: number; loginWindowMs: number },
) {
  await pool.query('DELETE FROM rate_limit_counts WHERE window_start < $1', [now - 2 * keepMs.rateWindowMs]);
  await pool.query('DELETE FROM login_failures WHERE at < $1', [now - keepMs.loginWindowMs]);
  await pool.query('DELETE FROM stream_leases WHERE expires_at < now()');
}

/**
 * Runs `fn` holding a session-level advisory lock named `name` (in this schema) on a connection of
 * its own, so that nodes booting together do not both do it; the others wait, then find it done.
 */
export async function pgExclusive<T>(pool: pg.Pool, name: string, fn: () => Promise<T>): Promise<T> {
  const c = await pool.connect();
  const key = "hashtext('sitewatt.' || $1 || '.' || current_schema())";
  try {
    await c.query(`SELECT pg_advisory_lock(${key})`, [name]);
    try {
      return await fn();
    } finally {
      await c.query(`SELECT pg_advisory_unlock(${key})`, [name]);
    }
  } finally {
    c.release();
  }
}
