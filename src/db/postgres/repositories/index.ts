import type { Repositories } from '../../repositories/index.js';
import type { PgDb } from '../client.js';
import { pgAlarms } from './alarms.js';
import { pgAuditRepository } from './audit.js';
import { pgDevicesRepository } from './devices.js';
import { pgFleetRepository } from './fleet.js';
import { pgHealthRepository } from './health.js';
import { pgIngestKeysRepository } from './ingest-keys.js';
import { pgMetricsRepository } from './metrics.js';
import { pgReadingsRepository } from './readings.js';
import { pgSessionsRepository } from './sessions.js';
import { pgSitesRepository } from './sites.js';
import { pgSubscriptionsRepository } from './subscriptions.js';
import { pgTokensRepository } from './tokens.js';
import { pgUsersRepository } from './users.js';
import { pgWebhooksRepository } from './webhooks.js';

/** Every repository over one PostgreSQL database, the same functions and shapes as createRepositories. */
export function createPgRepositories(db: PgDb): Repositories {
  // Alarm evaluation runs inside the ingestion transaction, on its connection (alarms.ts).
  const alarms = pgAlarms(db);
  return {
    alarms: alarms.repository,
    users: pgUsersRepository(db),
    sessions: pgSessionsRepository(db),
    tokens: pgTokensRepository(db),
    ingestKeys: pgIngestKeysRepository(db),
    sites: pgSitesRepository(db),
    devices: pgDevicesRepository(db),
    metrics: pgMetricsRepository(db),
    audit: pgAuditRepository(db),
    readings: pgReadingsRepository(db, alarms.evaluateMetric, {
      flush: alarms.flushEvents,
      discard: alarms.discardEvents,
    }),
    fleet: pgFleetRepository(db),
    subscriptions: pgSubscriptionsRepository(db),
    health: pgHealthRepository(db),
    webhooks: pgWebhooksRepository(db),
  };
}
