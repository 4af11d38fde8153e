// Per-account brake on password guessing. A sliding window of failures: after `maxFailures`
// within `windowMs` the account's sign-in answers 429 until the oldest failure ages out, so an
// attacker can lock a real user out for at most one window (15 minutes), never indefinitely.
// In memory for one process: a restart forgets, which errs on the side of letting people in.
// Several nodes on one database count in a table instead (src/db/postgres/coordination.ts).
import type { Throttle } from '../db/coordination.js';
import { MINUTE_MS } from '../time.js';

export type { Throttle };

export const LOGIN_MAX_FAILURES = 20;
export const LOGIN_WINDOW_MS = 15 * MINUTE_MS;

export class LoginThrottle implements Throttle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = LOGIN_MAX_FAILURES,
    private readonly windowMs = LOGIN_WINDOW_MS,
  ) {}

  /** Seconds until the next attempt is allowed, or 0. */
  retryAfter(key: string, now = Date.now()): number {
    const recent = this.prune(key, now);
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((recent[0] + this.windowMs - now) / 1000));
  }

  fail(key: string, now = Date.now()): void {
    const recent = this.prune(key, now);
    recent.push(now);
    this.failures.set(key, recent);
    // Bound memory under a spray of random emails.
    if (this.failures.size > 100_000) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private prune(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}
