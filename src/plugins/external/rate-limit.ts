import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';

/**
 * Off by default; routes opt in with `config.rateLimit` (sign-in). Keyed by client address,
 * which is the proxy's unless TRUST_PROXY is set. https://github.com/fastify/fastify-rate-limit
 */
export default fp(
  async (app) => {
    await app.register(rateLimit, { global: false });
  },
  { name: 'rate-limit' },
);

/** Sign-in attempts per client address. */
export const LOGIN_RATE_LIMIT = { max: 30, timeWindow: '1 minute' };
