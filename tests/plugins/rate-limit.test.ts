// The hold on refused sign-ins (src/plugins/external/rate-limit.ts), on a small app so the cap
// can be small and the timings far apart: 3 may be held for 500 ms.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import rateLimit from '../../src/plugins/external/rate-limit.js';

const HOLD_MS = 500;
let app: FastifyInstance;

async function build() {
  app = Fastify({ logger: false });
  await app.register(rateLimit, { holdMs: HOLD_MS, maxHeld: 3 });
  // One request a minute per address; then the limiter's 429.
  app.post('/limited', { config: { rateLimit: { max: 1, timeWindow: '1 minute' } } }, async () => ({ ok: true }));
  // A limited route refusing for its own reasons.
  app.post('/invalid', { config: { rateLimit: { max: 1000, timeWindow: '1 minute' } } }, async () => {
    throw Object.assign(new Error('no'), { statusCode: 422 });
  });
  app.post('/unlimited', async () => {
    throw Object.assign(new Error('slow down'), { statusCode: 429 });
  });
  await app.ready();
}
afterEach(() => app?.close());

/** Sends `n` requests at once; each one's status and how long it took. */
async function burst(url: string, n: number) {
  const started = Date.now();
  return Promise.all(
    Array.from({ length: n }, () =>
      app.inject({ method: 'POST', url }).then((r) => ({ status: r.statusCode, ms: Date.now() - started })),
    ),
  );
}

describe('holding refused sign-ins', () => {
  it('When 8 refusals arrive at once and 3 may be held, then 3 are answered after the hold and 5 at once; then 3 are held again', async () => {
    await build();
    expect((await app.inject({ method: 'POST', url: '/limited' })).statusCode).toBe(200);
    for (let round = 0; round < 2; round++) {
      const answers = await burst('/limited', 8);
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(429));
      expect(answers.filter((a) => a.ms >= HOLD_MS - 5)).toHaveLength(3);
    }
  });

  it('When a limited route fails with anything but 429, or a route without a limit answers 429, then nothing is held', async () => {
    await build();
    const invalid = await burst('/invalid', 3);
    expect(invalid.map((a) => a.status)).toEqual([422, 422, 422]);
    expect(Math.max(...invalid.map((a) => a.ms))).toBeLessThan(HOLD_MS - 5);
    const unlimited = await burst('/unlimited', 3);
    expect(unlimited.map((a) => a.status)).toEqual([429, 429, 429]);
    expect(Math.max(...unlimited.map((a) => a.ms))).toBeLessThan(HOLD_MS - 5);
  });
});
