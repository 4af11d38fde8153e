import type { StreamSlots, Throttle } from '../db/coordination.js';
import type { Repositories } from '../db/repositories/index.js';
import { alarmStreamsService, type AlarmStreamOptions } from './alarm-streams.js';
import { alarmsService } from './alarms.js';
import { authService } from './auth.js';
import { dashboardsService } from './dashboards.js';
import { devicesService } from './devices.js';
import { energyService } from './energy.js';
import { healthService } from './health.js';
import { ingestKeysService } from './ingest-keys.js';
import { LiveHub } from './live.js';
import { metricsService } from './metrics.js';
import { readingsService } from './readings.js';
import { sitesService } from './sites.js';
import { streamsService, type StreamOptions } from './streams.js';
import { subscriptionsService } from './subscriptions.js';
import { telemetryService } from './telemetry.js';
import { timeseriesService } from './timeseries.js';
import { usersService } from './users.js';
import { webhooksService, type WebhookOptions } from './webhooks.js';

export function createServices(
  repos: Repositories,
  opts: {
    hub?: LiveHub;
    streamOptions?: Partial<StreamOptions>;
    alarmStreamOptions?: Partial<AlarmStreamOptions>;
    retentionDays?: number;
    tokenMaxDays?: number;
    webhookOptions?: Partial<WebhookOptions>;
    /** Shared by the nodes of a cluster (src/db/coordination.ts); in memory when absent. */
    throttle?: Throttle;
    streamSlots?: StreamSlots;
  } = {},
) {
  const {
    hub = new LiveHub(),
    streamOptions,
    alarmStreamOptions,
    retentionDays = 0,
    tokenMaxDays,
    throttle,
    streamSlots,
  } = opts;
  const auth = authService(repos, { hub, tokenMaxDays, throttle });
  const subscriptions = subscriptionsService(repos, hub);
  const users = usersService(repos, hub);
  const sites = sitesService(repos, hub);
  const devices = devicesService(repos);
  const metrics = metricsService(repos);
  const readings = readingsService(repos, hub, retentionDays);
  const ingestKeys = ingestKeysService(repos);
  const timeseries = timeseriesService(repos, subscriptions);
  const energy = energyService(repos, timeseries);
  const alarms = alarmsService(repos, hub);
  return {
    hub,
    auth,
    users,
    sites,
    devices,
    metrics,
    dashboards: dashboardsService(repos, { sites, devices, metrics, users, ingestKeys, energy, alarms }),
    readings,
    telemetry: telemetryService(repos, readings),
    ingestKeys,
    subscriptions,
    timeseries,
    energy,
    streams: streamsService(hub, subscriptions, streamOptions, streamSlots),
    health: healthService(repos),
    alarms,
    webhooks: webhooksService(repos, hub, opts.webhookOptions),
    alarmStreams: alarmStreamsService(repos, hub, { ...streamOptions, ...alarmStreamOptions }),
  };
}

export type Services = ReturnType<typeof createServices>;
