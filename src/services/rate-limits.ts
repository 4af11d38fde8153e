// Request budgets per principal (a user, whether by session or bearer token) or, without one, per
// client address, in fixed windows. Counting sits behind RateLimitStore: one process on SQLite
// counts in memory (a restart forgets); the nodes of a cluster count in one table keyed by policy,
// key and window (src/db/postgres/coordination.ts), so N nodes still give a client one quota.
// Headers follow draft-ietf-httpapi-ratelimit-headers-10:
// https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-10
import type { RateLimitStore } from '../db/coordination.js';

export type { RateLimitStore };

/** Keys counted per window at most; past it the window's counts start over (bounded memory). */
export const MAX_KEYS_PER_WINDOW = 100_000;

/**
 * One process's counts: a map of the current window, emptied when the next window begins. A fixed
 * window lets a client spend up to twice the quota across a window's edge, which generous quotas
 * allow for; it costs one map update and no allocation per request.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly counts = new Map<string, number>();
  private windowStart = -1;

  constructor(private readonly maxKeys = MAX_KEYS_PER_WINDOW) {}

  hit(key: string, windowStart: number): number {
    if (windowStart !== this.windowStart) {
      this.counts.clear();
      this.windowStart = windowStart;
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    if (n === 1 && this.counts.size >= this.maxKeys) this.counts.clear();
    this.counts.set(key, n);
    return n;
  }
}

export interface RateLimitPolicy {
  /** The policy's name in the headers: "default" (principals), "anonymous" (addresses), "health". */
  name: string;
  /** Requests allowed per window. */
  quota: number;
  windowSeconds: number;
  /** Whom the quota is for, in a refusal's words: "user", "client address". */
  per: string;
  /** The RateLimit-Policy field value, written once. */
  header: string;
  store: RateLimitStore;
}

export function policy(
  name: string,
  quota: number,
  windowSeconds: number,
  per: string,
  store: RateLimitStore = new MemoryRateLimitStore(),
): RateLimitPolicy {
  return { name, quota, windowSeconds, per, header: `"${name}";q=${quota};w=${windowSeconds}`, store };
}

/** The start (epoch ms) of the policy's window that holds `now`. */
export const windowStart = (p: RateLimitPolicy, now: number) => now - (now % (p.windowSeconds * 1000));
