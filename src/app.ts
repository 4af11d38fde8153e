import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import database from './plugins/app/database.js';
import auth from './plugins/app/auth.js';
import { installValidators, schemaController } from './plugins/app/validation.js';
import session from './plugins/external/session.js';
import swagger from './plugins/external/swagger.js';
import rateLimit from './plugins/external/rate-limit.js';
import rateLimits from './plugins/app/rate-limits.js';
import underPressure from './plugins/external/under-pressure.js';
import helmet from './plugins/external/helmet.js';
import staticAssets from './plugins/external/static.js';
import view from './plugins/external/view.js';
import htmx from './plugins/app/htmx.js';
import pages from './routes/pages/index.js';
import { ProblemSchema } from './schemas/common.js';
import { sendProblem } from './plugins/app/problems.js';
import api from './routes/api/index.js';
import health from './routes/health.js';
import metrics from './plugins/app/metrics.js';
import mqtt from './plugins/app/mqtt.js';
import mqttBridge from './plugins/app/mqtt-bridge.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

/**
 * Builds the whole app for a config; listening is src/server.ts's job, so tests can inject.
 * A `logger` object in `options` is merged into ours (e.g. a `stream` to capture lines), so the
 * redaction below still applies; `logger: false` turns logging off.
 */
export async function buildApp(config: Config, options: FastifyServerOptions = {}) {
  const { logger: loggerOptions, ...rest } = options;
  const app = Fastify({
    logger:
      loggerOptions === false
        ? false
        : {
            level: config.logLevel,
            // Secrets never reach the logs (see also the password/token fields: bodies are never logged).
            redact: {
              paths: [
                'req.headers.cookie',
                'req.headers.authorization',
                'req.headers["x-csrf-token"]',
                'res.headers["set-cookie"]',
                '*.password',
                '*.token',
              ],
              censor: '[redacted]',
            },
            ...(config.logPretty
              ? {
                  transport: {
                    target: 'pino-pretty',
                    options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
                  },
                }
              : {}),
            ...(typeof loggerOptions === 'object' ? loggerOptions : {}),
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
    schemaController,
    // A malformed URL (bad percent-encoding, a path segment over maxParamLength) is refused before
    // routing, so no error handler sees it: without this it gets Fastify's own JSON, not a problem.
    frameworkErrors: malformedUrl,
    ...rest,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  installValidators(app);
  // Every error outside the pages (which render their own) is problem+json.
  app.setErrorHandler(sendProblem);
  app.decorate('config', config);
  app.addSchema(ProblemSchema);

  await app.register(database, {
    databasePath: config.databasePath,
    postgres: config.postgres,
    retentionDays: config.retentionDays,
    dailyFoldMs: config.dailyFoldMs,
    tokenMaxDays: config.tokenMaxDays,
    streamRecheckMs: config.streamRecheckMs,
    webhooks: config.webhooks,
    jobLeaseMs: config.jobLeaseMs,
    rateWindowMs: config.rateLimit.windowSeconds * 1000,
    alarmSweepMs: config.alarmSweepMs,
  });
  await app.register(session, { secret: config.sessionSecret, secure: config.cookieSecure, repo: app.repos.sessions });
  await app.register(underPressure, { maxEventLoopDelayMs: config.maxEventLoopDelayMs });
  await app.register(rateLimit, { shared: app.cluster.rateLimitStore('sign-in') });
  await app.register(helmet);
  // Budgets count the principal auth finds, on every route registered after them.
  await app.register(auth);
  await app.register(rateLimits, { ...config.rateLimit, storeFor: app.cluster.rateLimitStore });
  await app.register(swagger);
  await app.register(staticAssets);
  await app.register(view, { production: config.env === 'production' });
  await app.register(htmx);

  await app.register(metrics);
  // Field devices' MQTT transport, only when MQTT_PORT is set.
  if (config.mqtt) await app.register(mqtt, config.mqtt);
  // Field devices behind an existing broker, only when MQTT_BRIDGE_URL is set.
  if (config.mqttBridge) await app.register(mqttBridge, config.mqttBridge);
  await app.register(health);
  await app.register(api, { prefix: '/api' });
  await app.register(pages, { prefix: '/' });
  return app;
}

const MALFORMED_URL = {
  type: 'urn:sitewatt:problem:bad-request',
  title: 'Bad Request',
  status: 400,
  detail: 'The URL is malformed (bad percent-encoding, or a path segment longer than 100 characters)',
  code: 'BAD_REQUEST',
};

async function malformedUrl(_error: Error, request: FastifyRequest, reply: FastifyReply) {
  const refusal = await request.server.rateLimits.countMissed(request, reply);
  if (refusal) return sendProblem(refusal as FastifyError, request, reply);
  return reply.code(400).type('application/problem+json').send(MALFORMED_URL);
}

const hops = (n: number) => (_address: string, hop: number) => hop < n;

export type App = Awaited<ReturnType<typeof buildApp>>;
