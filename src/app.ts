import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import database from './plugins/app/database.js';
import auth from './plugins/app/auth.js';
import { installValidators } from './plugins/app/validation.js';
import session from './plugins/external/session.js';
import swagger from './plugins/external/swagger.js';
import rateLimit from './plugins/external/rate-limit.js';
import helmet from './plugins/external/helmet.js';
import staticAssets from './plugins/external/static.js';
import view from './plugins/external/view.js';
import htmx from './plugins/app/htmx.js';
import pages from './routes/pages/index.js';
import { ProblemSchema } from './schemas/common.js';
import api from './routes/api/index.js';
import health from './routes/health.js';
import metrics from './plugins/app/metrics.js';

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
      // Secrets never reach the logs (see also the password/token fields: bodies are never logged).
      redact: {
        paths: ['req.headers.cookie', 'req.headers.authorization', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]', '*.password', '*.token'],
        censor: '[redacted]',
      },
      ...(config.logPretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
    },
    // Every log line of a request carries its id; a caller's X-Request-Id is kept when sane.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // A hop count becomes fastify's function form (its types take no number).
    trustProxy: typeof config.trustProxy === 'number' ? hops(config.trustProxy) : config.trustProxy,
    bodyLimit: 1024 * 1024,
    ...options,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  installValidators(app);
  app.decorate('config', config);
  app.addSchema(ProblemSchema);

  await app.register(database, { databasePath: config.databasePath });
  await app.register(session, { secret: config.sessionSecret, secure: config.cookieSecure, repo: app.repos.sessions });
  await app.register(rateLimit);
  await app.register(helmet);
  await app.register(swagger);
  await app.register(staticAssets);
  await app.register(view, { production: config.env === 'production' });
  await app.register(htmx);
  await app.register(auth);

  await app.register(metrics);
  await app.register(health);
  await app.register(api, { prefix: '/api' });
  await app.register(pages, { prefix: '/' });
  return app;
}

const hops = (n: number) => (_address: string, hop: number) => hop < n;

export type App = Awaited<ReturnType<typeof buildApp>>;
