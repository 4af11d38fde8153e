import { defineConfig } from 'drizzle-kit';

// PostgreSQL's schema and migrations, beside SQLite's (drizzle.config.ts); docs/decisions/016-postgresql.md.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/postgres/schema.ts',
  out: './drizzle-pg',
});
