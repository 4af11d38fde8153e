// Crash safety: SIGKILL during ingestion, a few rounds on every run; `npm run crash` runs 20 or more.
import { describe, expect, it } from 'vitest';
import { crashRounds } from '../../tools/crash.js';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 2);

describe('Crash safety (tools/crash.ts)', () => {
  it(
    `When the server is killed with SIGKILL during ingestion (${ROUNDS} rounds), then the file is intact, every acknowledged batch is whole, none is partial, and it restarts`,
    { timeout: 30_000 + ROUNDS * 30_000 },
    async () => {
      const results = await crashRounds({ rounds: ROUNDS });
      expect(results).toHaveLength(ROUNDS);
      // The kills must land mid-ingestion for the check to mean anything.
      expect(results.at(-1)!.acked).toBeGreaterThan(0);
      expect(results.at(-1)!.sent).toBeGreaterThan(results.at(-1)!.acked);
    },
  );
});
