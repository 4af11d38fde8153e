// `npm run db:migrate`: opening the database applies pending migrations (src/db/client.ts, or
// src/db/postgres/client.ts with DATABASE_URL).
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { openPgDatabase } from '../db/postgres/client.js';

const config = loadConfig();
if (config.postgres) {
  await (await openPgDatabase(config.postgres)).$client.end();
  console.error('migrated the PostgreSQL database of DATABASE_URL');
} else {
  openDatabase(config.databasePath).$client.close();
  console.error(`migrated ${config.databasePath}`);
}
