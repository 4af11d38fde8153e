import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The plugin's own answer ("Rate limit exceeded, retry in …", 429), made without a stack trace:
 * capturing one for every refused request was ~8 % of a 429 under a sign-in storm (issue #6, P7),
 * and nobody reads it (4xx are not logged with a stack).
 */
function tooManyRequests(_request: FastifyRequest, context: { after: string; statusCode: number }) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(`Rate limit exceeded, retry in ${context.after}`), { statusCode: context.statusCode });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Off by default; routes opt in with `config.rateLimit` (sign-in). Keyed by client address,
 * which is the proxy's unless TRUST_PROXY is set. https://github.com/fastify/fastify-rate-limit
 */
export default fp(
  async (app) => {
    await app.register(rateLimit, { global: false, errorResponseBuilder: tooManyRequests });
  },
  { name: 'rate-limit' },
);

/** Sign-in attempts per client address. */
export const LOGIN_RATE_LIMIT = { max: 30, timeWindow: '1 minute' };
