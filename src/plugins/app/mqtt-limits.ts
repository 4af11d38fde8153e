/**
 * Messages per second per ingest key: a token bucket per key, refilled at `rate` tokens a second
 * up to `burst`. Shared by every connection of the key, so opening more connections buys no more.
 */
export function keyBuckets(rate: number, burst: number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Takes a token for one message of `keyId`; false when the key has none left. */
    take(keyId: string, now = Date.now()): boolean {
      const b = buckets.get(keyId) ?? { tokens: burst, at: now };
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
      b.at = now;
      buckets.set(keyId, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}
