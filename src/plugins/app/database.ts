import fp from 'fastify-plugin';
import { startCheckpointer } from '../../db/checkpointer.js';
import { openDatabase, type Db } from '../../db/client.js';
import { createRepositories, type Repositories } from '../../db/repositories/index.js';
import { createServices, type Services } from '../../services/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    repos: Repositories;
    services: Services;
  }
}

/** Opens the database (migrations applied), builds repositories and services, closes on shutdown. */
export default fp(
  async (app, opts: { databasePath: string; retentionDays?: number }) => {
    const db = openDatabase(opts.databasePath);
    const repos = createRepositories(db);
    const checkpointer =
      opts.databasePath === ':memory:'
        ? null
        : startCheckpointer(db.$client, opts.databasePath, (message) => app.log.error({ message }, 'WAL checkpoint worker failed'));
    app.decorate('db', db);
    app.decorate('repos', repos);
    app.decorate('services', createServices(repos, { retentionDays: opts.retentionDays }));
    // Streams end before the server stops waiting for connections (graceful shutdown).
    app.addHook('preClose', async () => {
      app.services.hub.close();
    });
    app.addHook('onClose', async () => {
      // The worker's connection first: the last connection to close folds the log into the file.
      await checkpointer?.stop();
      db.$client.close();
    });
  },
  { name: 'database' },
);
