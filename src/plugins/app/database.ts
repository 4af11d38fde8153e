import fp from 'fastify-plugin';
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
  async (app, opts: { databasePath: string }) => {
    const db = openDatabase(opts.databasePath);
    const repos = createRepositories(db);
    app.decorate('db', db);
    app.decorate('repos', repos);
    app.decorate('services', createServices(repos));
    // Streams end before the server stops waiting for connections (graceful shutdown).
    app.addHook('preClose', async () => {
      app.services.hub.close();
    });
    app.addHook('onClose', async () => {
      db.$client.close();
    });
  },
  { name: 'database' },
);
