// A fresh app on a fresh in-memory database (migrations applied) for every test; with
// TEST_DATABASE_URL set, on a fresh PostgreSQL schema instead (tests/helpers/postgres.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyServerOptions, InjectOptions } from 'fastify';
import { buildApp, type App } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import { hashToken } from '../../src/services/auth.js';
import { hashPassword } from '../../src/services/passwords.js';
import type { DeviceType } from '../../src/domain/device-types.js';
import { defaultMetricsFor } from '../../src/domain/device-types.js';
import { execInSchema, releaseSchema, takeSchema, TEST_DATABASE_URL } from './postgres.js';

export const PASSWORD = 'correct horse battery';
let passwordHash: Promise<string> | undefined;

/** True when test apps run on PostgreSQL (TEST_DATABASE_URL). */
export const onPostgres = TEST_DATABASE_URL !== null;

/** `options` reach Fastify (a test's own log stream, say), as buildApp's second argument. */
export async function buildTestApp(overrides: Partial<Config> = {}, options: FastifyServerOptions = {}): Promise<App> {
  // A test that asks for a SQLite file (or PostgreSQL itself) keeps it.
  const pg = onPostgres && overrides.postgres === undefined && (overrides.databasePath ?? ':memory:') === ':memory:';
  if (!pg) {
    const app = await buildApp(testConfig(overrides), options);
    await app.ready();
    return app;
  }
  const schema = await takeSchema();
  const postgres = pgSettings(schema);
  // If this throws, the schema is not given back (a half-built app may still hold connections to
  // it); it is dropped after the file.
  const app = await buildApp(testConfig({ ...overrides, postgres }), options);
  await app.ready();
  const close = app.close.bind(app);
  let released = false;
  // The schema goes back to this file's free list once the app (and its pool) has closed.
  app.close = (async () => {
    await close();
    if (!released) releaseSchema(schema);
    released = true;
  }) as App['close'];
  return app;
}

// Four connections: enough for a test's concurrent requests, few enough for many apps at once.
const pgSettings = (schema: string) => ({ url: TEST_DATABASE_URL!, poolSize: 4, statementTimeoutMs: 30_000, schema });

export interface SharedDatabase {
  /** What buildTestApp needs to open this database (again, or beside another app). */
  overrides: Pick<Config, 'databasePath'> | Pick<Config, 'postgres'>;
  /** Runs statements on it while no app has it open (as another tool would). */
  exec(statements: string): Promise<void>;
  /** Gives it back once every app on it has closed. */
  close(): void;
}

/**
 * One database for several apps, to restart on the same data or run two processes on it: a file
 * on SQLite, a schema of this test file's on PostgreSQL.
 */
export async function sharedDatabase(): Promise<SharedDatabase> {
  if (onPostgres) {
    const schema = await takeSchema();
    return {
      overrides: { postgres: pgSettings(schema) },
      exec: (statements) => execInSchema(schema, statements),
      close: () => releaseSchema(schema),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'sitewatt-shared-'));
  const databasePath = join(dir, 'shared.db');
  return {
    overrides: { databasePath },
    async exec(statements) {
      const db = new Database(databasePath);
      try {
        db.exec(statements);
      } finally {
        db.close();
      }
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
}

let seq = 0;
const unique = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 7)}`;

/** A user with PASSWORD and a bearer token (tokens skip argon2, which keeps tests fast). */
export async function createUser(
  app: App,
  opts: { isAdmin?: boolean; email?: string; name?: string } = {},
): Promise<TestUser> {
  passwordHash ??= hashPassword(PASSWORD);
  const email = opts.email ?? `${unique('user')}@example.com`;
  const user = await app.repos.users.create(
    { email, name: opts.name ?? email.split('@')[0], passwordHash: await passwordHash, isAdmin: opts.isAdmin ?? false },
    null,
  );
  const token = `sw_test_${unique('tok')}`;
  await app.repos.tokens.create({
    userId: user.id,
    name: 'test',
    tokenHash: hashToken(token),
    prefix: token.slice(0, 8),
    expiresAt: null,
  });
  return { id: user.id, email, token };
}

export async function createSite(app: App, opts: { name?: string; timezone?: string } = {}) {
  return app.repos.sites.create(
    {
      name: opts.name ?? unique('Site'),
      description: '',
      latitude: 52.5,
      longitude: 13.4,
      timezone: opts.timezone ?? 'Europe/Berlin',
    },
    null,
  );
}

export async function addMember(app: App, siteId: string, userId: string, role: 'viewer' | 'technician') {
  await app.repos.sites.setMember(siteId, userId, role, null);
}

/** A device with its type's default metrics; `simulated` ones are driven by the simulator, as demo devices are. */
export async function createDevice(
  app: App,
  siteId: string,
  opts: { name?: string; type?: DeviceType; simulated?: boolean } = {},
) {
  const type = opts.type ?? 'battery';
  return app.repos.devices.create(
    siteId,
    {
      name: opts.name ?? unique('Device'),
      type,
      manufacturer: null,
      model: null,
      serialNumber: null,
      simulated: opts.simulated ?? false,
    },
    defaultMetricsFor(type),
    null,
  );
}

/** The usual cast of a site: admin, technician, viewer, and a member of another site only. */
export async function createWorld(app: App) {
  const site = await createSite(app, { name: 'Main Site' });
  const otherSite = await createSite(app, { name: 'Other Site' });
  const admin = await createUser(app, { isAdmin: true });
  const technician = await createUser(app);
  const viewer = await createUser(app);
  const outsider = await createUser(app);
  await addMember(app, site.id, technician.id, 'technician');
  await addMember(app, site.id, viewer.id, 'viewer');
  await addMember(app, otherSite.id, outsider.id, 'technician');
  const { device, metrics } = await createDevice(app, site.id, { name: 'Main Battery' });
  return { site, otherSite, admin, technician, viewer, outsider, device, metrics };
}

/** Injects as a user via their bearer token (or anonymously with null). */
export function injectAs(app: App, user: TestUser | null, opts: InjectOptions) {
  const headers = { ...(opts.headers ?? {}), ...(user ? { authorization: `Bearer ${user.token}` } : {}) };
  return app.inject({ ...opts, headers });
}

/** Signs in through the API and returns the Cookie header value. */
export async function loginCookie(app: App, email: string, password = PASSWORD): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'sitewatt.sid');
  if (!cookie) throw new Error('no session cookie');
  return `${cookie.name}=${cookie.value}`;
}
