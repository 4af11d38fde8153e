import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import Type from 'typebox';
import { MIGRATIONS_FOLDER } from '../db/client.js';

const Status = Type.Object({ status: Type.Literal('ok') });
const NotReady = Type.Object({ status: Type.Literal('unavailable') });

/** Liveness and readiness: cheap, unauthenticated, revealing nothing else. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length;
  const applied = app.db.$client.prepare<[], { n: number }>('SELECT count(*) AS n FROM __drizzle_migrations');

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
      try {
        if ((applied.get()?.n ?? 0) >= expected) return { status: 'ok' as const };
      } catch {
        // fall through: not ready
      }
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ status: 'unavailable' as const });
    },
  );
};

export default routes;
