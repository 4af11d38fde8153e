import type { Db } from '../client.js';
import { alarmsRepository } from './alarms.js';
import { auditRepository } from './audit.js';
import { devicesRepository } from './devices.js';
import { fleetRepository } from './fleet.js';
import { healthRepository } from './health.js';
import { ingestKeysRepository } from './ingest-keys.js';
import { metricsRepository } from './metrics.js';
import { readingsRepository } from './readings.js';
import { sessionsRepository } from './sessions.js';
import { sitesRepository } from './sites.js';
import { subscriptionsRepository } from './subscriptions.js';
import { tokensRepository } from './tokens.js';
import { usersRepository } from './users.js';
import { webhooksRepository } from './webhooks.js';

/** Every repository over one database: the seam where a PostgreSQL implementation would plug in. */
export function createRepositories(db: Db) {
  // Evaluation runs inside the ingestion transaction, so it belongs to the readings repository's
  // implementation, not to the interface services see (a PostgreSQL one is asynchronous).
  const { evaluateMetric, ...alarms } = alarmsRepository(db);
  return {
    alarms,
    users: usersRepository(db),
    sessions: sessionsRepository(db),
    tokens: tokensRepository(db),
    ingestKeys: ingestKeysRepository(db),
    sites: sitesRepository(db),
    devices: devicesRepository(db),
    metrics: metricsRepository(db),
    audit: auditRepository(db),
    readings: readingsRepository(db, evaluateMetric),
    fleet: fleetRepository(db),
    subscriptions: subscriptionsRepository(db),
    health: healthRepository(db),
    webhooks: webhooksRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
