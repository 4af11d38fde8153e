import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';

function blockEventLoop(ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: simulate a server that cannot keep up
  }
}

describe('Overload', () => {
  it('When the event loop lags past the limit, then requests get 503 problem+json with Retry-After, health probes still answer', async () => {
    const app = await buildTestApp({ maxEventLoopDelayMs: 50 });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      // Lag is sampled on a timer: block twice across samples so the plugin sees it.
      let res: Response | undefined;
      for (let i = 0; i < 20 && res?.status !== 503; i++) {
        blockEventLoop(300);
        await new Promise((r) => setTimeout(r, 20));
        res = await fetch(`${base}/api/me`);
      }
      expect(res?.status).toBe(503);
      expect(res?.headers.get('retry-after')).toBe('10');
      expect(res?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await res!.json()).code).toBe('OVERLOADED');
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
