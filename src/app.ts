import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import database from './plugins/app/database.js';
import auth from './plugins/app/auth.js';
import { installValidators } from './plugins/app/validation.js';
import session from './plugins/external/session.js';
import swagger from './plugins/external/swagger.js';
import { ProblemSchema } from './schemas/common.js';
import api from './routes/api/index.js';
import health from './routes/health.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

/** Builds the whole app for a config; listening is src/server.ts's job, so tests can inject. */
export async function buildApp(config: Config, options: FastifyServerOptions = {}) {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Secrets never reach the logs.
      redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    },
    bodyLimit: 4 * 1024 * 1024,
    ...options,
  }).withTypeProvider<TypeBoxTypeProvider>();

  installValidators(app);
  app.decorate('config', config);
  app.addSchema(ProblemSchema);

  await app.register(database, { databasePath: config.databasePath });
  await app.register(session, { secret: config.sessionSecret, secure: config.cookieSecure, repo: app.repos.sessions });
  await app.register(swagger);
  await app.register(auth);

  await app.register(health);
  await app.register(api, { prefix: '/api' });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
