import type { Repositories } from '../../repositories/index.js';
import type { PgDb } from '../client.js';
import { pgAuditRepository } from './audit.js';
import { pgHealthRepository } from './health.js';
import { pgIngestKeysRepository } from './ingest-keys.js';
import { pgSessionsRepository } from './sessions.js';
import { pgSitesRepository } from './sites.js';
import { pgSubscriptionsRepository } from './subscriptions.js';
import { pgTokensRepository } from './tokens.js';
import { pgUsersRepository } from './users.js';

/**
 * PLACEHOLDER for a repository not yet on PostgreSQL: every method throws. Typed as the SQLite
 * one so the whole set type-checks; each is replaced by its port (docs/decisions/016-postgresql.md).
 */
function notYetOnPostgres<T extends object>(): T {
  return new Proxy({} as T, {
    get(_target, prop) {
      // Not a method: what `await`, inspection and printing look for must not throw.
      if (typeof prop === 'symbol' || prop === 'then' || prop === 'toJSON') return undefined;
      return () => {
        throw new Error('not yet on PostgreSQL');
      };
    },
  });
}

/** Every repository over one PostgreSQL database, the same functions and shapes as createRepositories. */
export function createPgRepositories(db: PgDb): Repositories {
  return {
    alarms: notYetOnPostgres<Repositories['alarms']>(), // PLACEHOLDER (pg-b)
    users: pgUsersRepository(db),
    sessions: pgSessionsRepository(db),
    tokens: pgTokensRepository(db),
    ingestKeys: pgIngestKeysRepository(db),
    sites: pgSitesRepository(db),
    devices: notYetOnPostgres<Repositories['devices']>(), // PLACEHOLDER (pg-b)
    metrics: notYetOnPostgres<Repositories['metrics']>(), // PLACEHOLDER (pg-b)
    audit: pgAuditRepository(db),
    readings: notYetOnPostgres<Repositories['readings']>(), // PLACEHOLDER (pg-b)
    fleet: notYetOnPostgres<Repositories['fleet']>(), // PLACEHOLDER (pg-b)
    subscriptions: pgSubscriptionsRepository(db),
    health: pgHealthRepository(db),
  };
}
