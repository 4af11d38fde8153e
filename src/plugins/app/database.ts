import fp from 'fastify-plugin';
import { startCheckpointer } from '../../db/checkpointer.js';
import { openDatabase, type Db } from '../../db/client.js';
import { openPgDatabase, type PgDb } from '../../db/postgres/client.js';
import { createPgRepositories } from '../../db/postgres/repositories/index.js';
import { createRepositories, type Repositories } from '../../db/repositories/index.js';
import type { Config } from '../../config.js';
import { createServices, type Services } from '../../services/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** SQLite's connection; on PostgreSQL reading it throws (use `pg`). Only tests and SQLite-only tools read it. */
    db: Db;
    /** PostgreSQL's pool (as drizzle), or null on SQLite. */
    pg: PgDb | null;
    repos: Repositories;
    services: Services;
  }
}

/** Opens the database (migrations applied), builds repositories and services, closes on shutdown. */
export default fp(
  async (
    app,
    opts: {
      databasePath: string;
      /** PostgreSQL instead of SQLite at databasePath (docs/decisions/016-postgresql.md). */
      postgres?: Config['postgres'];
      retentionDays?: number;
      dailyFoldMs?: number;
      tokenMaxDays?: number;
      streamRecheckMs?: number;
      /** How often no_data alarm rules are checked (0: never; tests call the sweep themselves). */
      alarmSweepMs?: number;
    },
  ) => {
    const pg = opts.postgres
      ? await openPgDatabase({
          ...opts.postgres,
          onError: (err) => app.log.error({ err }, 'PostgreSQL connection failed while idle'),
        })
      : null;
    const db = pg ? null : openDatabase(opts.databasePath);
    const repos = pg ? createPgRepositories(pg) : createRepositories(db!);
    // WAL checkpoints are SQLite's; PostgreSQL does its own.
    const checkpointer =
      !db || opts.databasePath === ':memory:'
        ? null
        : startCheckpointer(db.$client, opts.databasePath, (message) =>
            app.log.error({ message }, 'WAL checkpoint worker failed'),
          );
    if (db) app.decorate('db', db);
    else
      app.decorate('db', {
        getter(): Db {
          throw new Error('app.db is the SQLite connection; this app runs on PostgreSQL (app.pg)');
        },
      });
    app.decorate('pg', pg);
    app.decorate('repos', repos);
    app.decorate(
      'services',
      createServices(repos, {
        retentionDays: opts.retentionDays,
        tokenMaxDays: opts.tokenMaxDays,
        streamOptions: opts.streamRecheckMs ? { recheckMs: opts.streamRecheckMs } : {},
      }),
    );
    // A database from before daily roll-ups (or whose sites changed zone behind our back) gets
    // them built in the background, a site at a time; until then its charts read hourly roll-ups.
    let closing = false;
    // Started from a promise so that a repository that throws at once (one not yet ported to
    // PostgreSQL) is logged like any failure rather than stopping the start.
    const building = Promise.resolve()
      .then(() => repos.readings.buildPendingDailies(() => closing))
      .then((n) => n > 0 && app.log.info({ sites: n }, 'daily roll-ups built'))
      .catch((err: unknown) => app.log.error({ err }, 'building daily roll-ups failed'));
    // Days that ingestion changed are folded into the daily roll-ups every few seconds (and before
    // any read of them), so a day written by many batches meanwhile is folded once.
    const foldEvery = opts.dailyFoldMs ?? 5_000;
    const folding =
      foldEvery > 0
        ? setInterval(() => {
            Promise.resolve()
              .then(() => repos.readings.foldPendingDailies())
              .catch((err: unknown) => app.log.error({ err }, 'folding daily roll-ups failed'));
          }, foldEvery).unref()
        : undefined;
    // no_data rules raise on silence, which no reading announces: a timer looks for it. Several
    // processes may sweep the same database; the open-alarm unique index keeps each alarm single.
    const sweepEvery = opts.alarmSweepMs ?? 30_000;
    const sweeping =
      sweepEvery > 0
        ? setInterval(() => {
            Promise.resolve()
              .then(() => app.services.alarms.sweepNoData())
              .catch((err: unknown) => app.log.error({ err }, 'no_data alarm sweep failed'));
          }, sweepEvery).unref()
        : undefined;
    // Streams end before the server stops waiting for connections (graceful shutdown).
    app.addHook('preClose', async () => {
      app.services.hub.close();
    });
    app.addHook('onClose', async () => {
      closing = true;
      clearInterval(folding);
      clearInterval(sweeping);
      await building;
      // The worker's connection first: the last connection to close folds the log into the file.
      await checkpointer?.stop();
      db?.$client.close();
      await pg?.$client.end();
    });
  },
  { name: 'database' },
);
