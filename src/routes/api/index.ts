import type { FastifyPluginAsync } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without signing in. */
    public?: boolean;
  }
}
import { errors } from '../../errors.js';
import alarms from './alarms/index.js';
import alarmRules, { metricAlarmRules, siteAlarmRules } from './alarms/rules.js';
import auth from './auth/index.js';
import devices, { siteDevices } from './devices/index.js';
import deviceTelemetry from './devices/telemetry.js';
import ingestKeys, { siteIngestKeys } from './ingest-keys/index.js';
import energy, { siteEnergy } from './energy/index.js';
import me from './me/index.js';
import metrics from './metrics/index.js';
import metricTimeseries from './metrics/timeseries.js';
import readings from './readings/index.js';
import sites from './sites/index.js';
import subscriptions from './subscriptions/index.js';
import telemetry from './telemetry/index.js';
import users from './users/index.js';
import webhooks from './webhooks/index.js';

/** Everything under /api: JSON only, errors as application/problem+json. */
const api: FastifyPluginAsync = async (app) => {
  // Errors: the root's handler, problem+json (sendProblem in src/plugins/app/problems.ts).
  // Every /api route needs a signed-in caller, except those marked `config: { public: true }`.
  app.addHook('preValidation', async (request) => {
    if (!request.actor && !request.ingestKey && request.routeOptions.config.public !== true && request.is404 !== true)
      throw new errors.UNAUTHENTICATED();
  });
  app.setNotFoundHandler(async () => {
    throw new errors.NOT_FOUND();
  });

  await app.register(auth, { prefix: '/auth' });
  await app.register(me, { prefix: '/me' });
  await app.register(sites, { prefix: '/sites' });
  await app.register(siteDevices, { prefix: '/sites/:siteId/devices' });
  await app.register(siteIngestKeys, { prefix: '/sites/:siteId/ingest-keys' });
  await app.register(ingestKeys, { prefix: '/ingest-keys' });
  await app.register(siteEnergy, { prefix: '/sites/:siteId/energy' });
  await app.register(energy, { prefix: '/energy' });
  await app.register(devices, { prefix: '/devices' });
  await app.register(deviceTelemetry, { prefix: '/devices' });
  await app.register(telemetry, { prefix: '/telemetry' });
  await app.register(metrics, { prefix: '/metrics' });
  await app.register(metricTimeseries, { prefix: '/metrics' });
  await app.register(readings, { prefix: '/readings' });
  await app.register(subscriptions, { prefix: '/subscriptions' });
  await app.register(users, { prefix: '/users' });
  await app.register(alarms, { prefix: '/alarms' });
  await app.register(alarmRules, { prefix: '/alarm-rules' });
  await app.register(metricAlarmRules, { prefix: '/metrics/:metricId/alarm-rules' });
  await app.register(siteAlarmRules, { prefix: '/sites/:siteId/alarm-rules' });
  await app.register(webhooks, { prefix: '/sites/:siteId/webhooks' });
};

export default api;
