import fp from 'fastify-plugin';
import { startCheckpointer } from '../../db/checkpointer.js';
import { openDatabase, type Db } from '../../db/client.js';
import { openPgDatabase, type PgDb } from '../../db/postgres/client.js';
import { createPgRepositories } from '../../db/postgres/repositories/index.js';
import { createRepositories, type Repositories } from '../../db/repositories/index.js';
import type { Config } from '../../config.js';
import { createServices, type Services } from '../../services/index.js';
import { clusterNode, soleNode, type Cluster } from './cluster.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** SQLite's connection; on PostgreSQL reading it throws (use `pg`). Only tests and SQLite-only tools read it. */
    db: Db;
    /** PostgreSQL's pool (as drizzle), or null on SQLite. */
    pg: PgDb | null;
    repos: Repositories;
    services: Services;
    /** Singleton jobs, start-up locks and shared counts: several nodes on PostgreSQL, one process on SQLite. */
    cluster: Cluster;
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
      /** How long a singleton job's lease lasts unrenewed on PostgreSQL (a dead node's jobs move after it). */
      jobLeaseMs?: number;
      /** The rate-limit window, so that shared counts of past windows are pruned. */
      rateWindowMs?: number;
      /** How often no_data alarm rules are checked (0: never; tests call the sweep themselves). */
      alarmSweepMs?: number;
      webhooks?: { allowHosts: string[]; dispatchMs: number; retryBaseMs: number };
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
    const node = pg
      ? await clusterNode(pg, {
          url: opts.postgres!.url,
          leaseMs: opts.jobLeaseMs ?? 30_000,
          rateWindowMs: opts.rateWindowMs ?? 60_000,
          log: app.log,
        })
      : soleNode();
    app.decorate('cluster', node.cluster);
    app.decorate(
      'services',
      createServices(repos, {
        hub: node.hub,
        throttle: node.throttle,
        streamSlots: node.streamSlots,
        retentionDays: opts.retentionDays,
        tokenMaxDays: opts.tokenMaxDays,
        streamOptions: opts.streamRecheckMs ? { recheckMs: opts.streamRecheckMs } : {},
        webhookOptions: opts.webhooks,
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
    // One node of a cluster folds (app.cluster.singleton).
    const foldEvery = opts.dailyFoldMs ?? 5_000;
    let folding: NodeJS.Timeout | undefined;
    if (foldEvery > 0)
      node.cluster.singleton('daily-fold', {
        start() {
          folding = setInterval(() => {
            Promise.resolve()
              .then(() => repos.readings.foldPendingDailies())
              .catch((err: unknown) => app.log.error({ err }, 'folding daily roll-ups failed'));
          }, foldEvery).unref();
        },
        stop: () => clearInterval(folding),
      });
    // no_data rules raise on silence, which no reading announces: a timer looks for it, on one node
    // of a cluster. Two sweeps at once (a lease changing hands) still raise each alarm once: the
    // open-alarm unique index keeps it single.
    const sweepEvery = opts.alarmSweepMs ?? 30_000;
    let sweeping: NodeJS.Timeout | undefined;
    if (sweepEvery > 0)
      node.cluster.singleton('alarm-sweep', {
        start() {
          sweeping = setInterval(() => {
            Promise.resolve()
              .then(() => app.services.alarms.sweepNoData())
              .catch((err: unknown) => app.log.error({ err }, 'no_data alarm sweep failed'));
          }, sweepEvery).unref();
        },
        stop: () => clearInterval(sweeping),
      });
    // The webhook outbox is emptied by every process (a lease keeps each delivery to one at a time).
    const dispatchEvery = opts.webhooks?.dispatchMs ?? 0;
    const stopDispatch =
      dispatchEvery > 0
        ? app.services.webhooks.start(dispatchEvery, (err) => app.log.error({ err }, 'webhook dispatch failed'))
        : undefined;
    // Streams end before the server stops waiting for connections (graceful shutdown).
    app.addHook('preClose', async () => {
      app.services.hub.close();
    });
    app.addHook('onClose', async () => {
      closing = true;
      await node.close();
      await stopDispatch?.();
      await building;
      // The worker's connection first: the last connection to close folds the log into the file.
      await checkpointer?.stop();
      db?.$client.close();
      await pg?.$client.end();
    });
  },
  { name: 'database' },
);
