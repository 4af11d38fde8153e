import underPressure from '@fastify/under-pressure';
import fp from 'fastify-plugin';

/**
 * Under overload (the event loop lagging by more than `maxEventLoopDelayMs`) the server answers
 * 503 with Retry-After at once instead of queueing requests without bound. Health probes are
 * exempt, so an orchestrator does not kill a busy but healthy process.
 * https://github.com/fastify/under-pressure
 */
export default fp(
  async (app, opts: { maxEventLoopDelayMs: number }) => {
    if (opts.maxEventLoopDelayMs <= 0) return;
    await app.register(underPressure, {
      maxEventLoopDelay: opts.maxEventLoopDelayMs,
      retryAfter: 10,
      pressureHandler: (request, reply, type, value) => {
        if (request.url === '/healthz' || request.url === '/readyz') return; // handled normally
        request.log.warn({ type, value }, 'overloaded: refusing request');
        void reply.code(503).header('retry-after', '10').type('application/problem+json').send({
          type: 'urn:sitewatt:problem:overloaded',
          title: 'Service Unavailable',
          status: 503,
          detail: 'The server is overloaded; retry in a few seconds.',
          code: 'OVERLOADED',
        });
      },
    });
  },
  { name: 'under-pressure' },
);
