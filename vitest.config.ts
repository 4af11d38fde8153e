import { defineConfig } from 'vitest/config';

// One suite, two databases: every test file runs on SQLite (project `sqlite`); with
// TEST_DATABASE_URL set, the files that touch a database run a second time on PostgreSQL (project
// `postgres`, each test app in a schema of its own: tests/helpers/postgres.ts). A failure names its
// project, so it says which database failed.
const postgresUrl = process.env.TEST_DATABASE_URL || '';

const ALL = ['tests/**/*.test.ts', 'e2e/**/*.test.ts'];

/** Tests of PostgreSQL itself: they skip without TEST_DATABASE_URL and belong to the second run only. */
export const POSTGRES_ONLY = ['tests/db/postgres/**'];

/** SQLite by nature: the same question does not exist on PostgreSQL, so they run on SQLite only. */
export const SQLITE_ONLY = [
  'tests/db/checkpointer.test.ts', // the WAL checkpointer of a SQLite file
  'tests/db/client.test.ts', // SQLite's pragmas and connection settings
  'tests/db/energy-roles-backfill.test.ts', // SQLite's migration 0018; PostgreSQL's schema starts with the roles
  'tests/ops/backup.test.ts', // `npm run backup` copies a SQLite file (PostgreSQL: pg_dump/PITR)
  'tests/ops/seed-cli.test.ts', // the seed script against a SQLite file's path
  'tests/ops/dockerfile.test.ts', // the image's default start (SQLite in the volume)
  'tests/security/crash.test.ts', // SIGKILL and the SQLite file's integrity (PostgreSQL: the cluster test)
  'tests/security/shutdown.test.ts', // SIGTERM and the SQLite file closed cleanly (integrity_check)
];

/** No database at all (pure functions, lint, tooling): one run says all there is to say. */
export const NO_DATABASE = [
  'tests/alarms/evaluate.test.ts',
  'tests/config.test.ts',
  'tests/db/group-by-hour.test.ts',
  'tests/db/schema-parity.test.ts', // compares the two drizzle schemas, no connection
  'tests/lint/**',
  'tests/ops/bench-table.test.ts',
  'tests/ops/build-if-stale.test.ts',
  'tests/plugins/rate-limit.test.ts',
  'tests/routes/pages/energy-flow.test.ts',
  'tests/routes/pages/format.test.ts',
  'tests/services/energy-balance.test.ts',
  'tests/services/policy.test.ts',
  'tests/services/views.test.ts',
  'tests/simulator/**',
  'tests/timeseries/**',
];

/**
 * The PostgreSQL run covers every folder whose tests build an app: the API, pages, services,
 * security (the route matrix and the fuzz sweep included), plugins, MQTT, ops, PostgreSQL's own
 * tests, the cluster, and the browser tests (e2e/, whose harness serves the app on a schema of the
 * test database). Every test file is in this run, in SQLITE_ONLY or in NO_DATABASE
 * (tests/lint/test-databases.test.ts checks it).
 */
export const POSTGRES_RUN = [
  'tests/routes/api/**/*.test.ts',
  'tests/services/**/*.test.ts',
  'tests/db/postgres/**/*.test.ts',
  'tests/cluster/**/*.test.ts',
  'tests/routes/pages/**/*.test.ts',
  'tests/routes/ops.test.ts',
  'tests/security/**/*.test.ts',
  'tests/plugins/**/*.test.ts',
  'tests/mqtt/**/*.test.ts',
  'tests/ops/**/*.test.ts',
  'e2e/**/*.test.ts',
];

/** In the PostgreSQL run's folders but not yet passing there, each with why (none at present). */
export const NOT_YET_ON_POSTGRES: string[] = [];

const shared = { testTimeout: 20_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'sqlite',
          include: ALL,
          exclude: postgresUrl ? POSTGRES_ONLY : [],
          // The harness builds PostgreSQL apps when this is set: this run is SQLite's.
          env: { TEST_DATABASE_URL: '' },
        },
      },
      ...(postgresUrl
        ? [
            {
              test: {
                ...shared,
                name: 'postgres',
                include: POSTGRES_RUN,
                exclude: [...SQLITE_ONLY, ...NO_DATABASE, ...NOT_YET_ON_POSTGRES],
                env: { TEST_DATABASE_URL: postgresUrl },
              },
            },
          ]
        : []),
    ],
  },
});
