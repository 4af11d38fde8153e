// `npm run db:migrate`: opening the database applies pending migrations (src/db/client.ts).
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';

const config = loadConfig();
openDatabase(config.databasePath).$client.close();
console.error(`migrated ${config.databasePath}`);
