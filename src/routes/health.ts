import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

const Status = Type.Object({ status: Type.Literal('ok') });
const NotReady = Type.Object({ status: Type.Literal('unavailable') });

/** Liveness and readiness: cheap, unauthenticated, revealing nothing else. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'The process is alive', security: [], response: { 200: Status } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'The database answers and every migration is applied',
        security: [],
        response: { 200: Status, 503: NotReady },
      },
    },
    async (_request, reply) => {
      if (await app.services.health.migrationsApplied()) return { status: 'ok' as const };
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ status: 'unavailable' as const });
    },
  );
};

export default routes;
