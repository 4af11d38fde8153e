// Per-account brake on password guessing. A sliding window of failures: after `maxFailures`
// within `windowMs` the account's sign-in answers 429 until the oldest failure ages out, so an
// attacker can lock a real user out for at most one window (15 minutes), never indefinitely.
// In memory: a restart forgets, which errs on the side of letting people in.
import { MINUTE_MS } from '../time.js';

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 20,
    private readonly windowMs = 15 * MINUTE_MS,
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
