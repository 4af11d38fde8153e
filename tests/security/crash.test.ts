// Crash safety: SIGKILL during ingestion, a few rounds on every run; `npm run crash` runs 20 or more.
import { describe, expect, it } from 'vitest';
import { crashRounds } from '../../tools/crash.js';
import { mqttCrashRounds } from '../../tools/crash-mqtt.js';

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

describe('Crash safety over MQTT (tools/crash-mqtt.ts)', () => {
  it(
    `When the server is killed with SIGKILL during a stream of QoS 1 publishes (${ROUNDS} rounds, MQTT 3.1.1 and 5 in turn), then every PUBACKed message is stored whole and none partly`,
    { timeout: 30_000 + ROUNDS * 30_000 },
    async () => {
      const results = await mqttCrashRounds({ rounds: ROUNDS });
      expect(results).toHaveLength(ROUNDS);
      if (ROUNDS >= 2) expect(new Set(results.map((r) => r.protocolVersion))).toEqual(new Set([4, 5]));
      expect(results.at(-1)!.acked).toBeGreaterThan(0);
      expect(results.at(-1)!.sent).toBeGreaterThan(results.at(-1)!.acked);
    },
  );
});
