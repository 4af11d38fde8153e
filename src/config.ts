// The only module that reads process.env. One TypeBox schema, validated at boot.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]);

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')])),
  PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_PATH: Type.Optional(Type.String({ minLength: 1 })),
  SESSION_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  COOKIE_SECURE: Type.Optional(Bool),
  DEMO: Type.Optional(Bool),
  DEMO_PASSWORD: Type.Optional(Type.String({ minLength: 8 })),
  SIMULATOR: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('off')])),
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('pretty'), Type.Literal('json')])),
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  RETENTION_DAYS: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  MAX_EVENT_LOOP_DELAY_MS: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  TOKEN_MAX_DAYS: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  RATE_LIMIT: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,8}$' })),
  RATE_LIMIT_ANONYMOUS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,8}$' })),
  RATE_LIMIT_WINDOW_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  MQTT_PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  MQTT_HOST: Type.Optional(Type.String({ minLength: 1 })),
  WEBHOOK_ALLOW_HOSTS: Type.Optional(Type.String({ maxLength: 2000 })),
  ALARM_SWEEP_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  LOG_LEVEL: Type.Optional(
    Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  ),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** ':memory:' for tests. */
  databasePath: string;
  sessionSecret: string;
  cookieSecure: boolean;
  demo: boolean;
  demoPassword: string;
  simulator: boolean;
  logLevel: string;
  /** Human-readable logs (terminals) or JSON lines (everything else). */
  logPretty: boolean;
  /** Fastify's trustProxy: false, true, a hop count, or addresses/CIDRs. */
  trustProxy: boolean | number | string;
  /** Bearer token for GET /metrics; without one the endpoint is off (404). */
  metricsToken: string | null;
  /** Raw readings older than this are deleted (hourly roll-ups are kept); 0 keeps everything. */
  retentionDays: number;
  /** Event-loop lag above which requests get 503 + Retry-After; 0 turns the check off. */
  maxEventLoopDelayMs: number;
  /** The longest lifetime, in days, an API token may be given; a token asked for without one gets it. */
  tokenMaxDays: number;
  /**
   * How often an open live stream re-reads the credential that opened it (session row, token row,
   * user) from the database, so that it ends within this long of the credential, whichever node
   * ended it. Not an environment variable.
   */
  streamRecheckMs: number;
  /**
   * Request budgets per window (src/plugins/app/rate-limits.ts): per user (session or token), per
   * client address without one; always on, so the quotas are at least 1.
   */
  rateLimit: { perPrincipal: number; perAddress: number; windowSeconds: number };
  /**
   * The built-in MQTT broker for field devices (src/plugins/app/mqtt.ts): null is off. Port 0 takes
   * a free port (tests). There is no default port: 1883 is usually another broker's.
   */
  mqtt: { port: number; host: string } | null;
  /**
   * Alarm webhooks (docs/alarms.md, "Webhooks"). `allowHosts` (WEBHOOK_ALLOW_HOSTS, comma-separated
   * host names or addresses as written in URLs) may resolve to loopback or private addresses, which
   * are refused otherwise. The rest is not an environment variable: how often the outbox is emptied
   * (0: never, tests call it) and the first retry's delay.
   */
  webhooks: { allowHosts: string[]; dispatchMs: number; retryBaseMs: number };
  /** How often no_data alarm rules are checked (ALARM_SWEEP_SECONDS); 0 never (tests call the sweep). */
  alarmSweepMs: number;
  /** How often days that ingestion changed are folded into the daily roll-ups; 0: only when read. Not an environment variable. */
  dailyFoldMs: number;
}

export class ConfigError extends Error {}

const truthy = (v: string | undefined, def: boolean) => (v === undefined ? def : v === 'true' || v === '1');

/** Reads and validates the environment; throws ConfigError with every problem in one message. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(EnvSchema.properties)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  if (!Value.Check(EnvSchema, picked)) {
    const problems = [...Value.Errors(EnvSchema, picked)].map(
      (e) => `${e.instancePath.slice(1) || 'environment'}: ${e.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = picked as Static<typeof EnvSchema>;
  const nodeEnv = e.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';
  const port = Number(e.PORT ?? 3000);
  if (port < 0 || port > 65535) throw new ConfigError('Invalid configuration:\n  PORT: must be between 0 and 65535');
  const mqttPort = e.MQTT_PORT === undefined ? null : Number(e.MQTT_PORT);
  if (mqttPort !== null && mqttPort > 65535)
    throw new ConfigError('Invalid configuration:\n  MQTT_PORT: must be between 0 and 65535');
  const tokenMaxDays = Number(e.TOKEN_MAX_DAYS ?? 365);
  // The API's own ceiling on expiresInDays is ten years (src/schemas/users.ts).
  if (tokenMaxDays < 1 || tokenMaxDays > 3650)
    throw new ConfigError('Invalid configuration:\n  TOKEN_MAX_DAYS: must be between 1 and 3650');
  if (production && !e.SESSION_SECRET) {
    throw new ConfigError(
      'Invalid configuration:\n  SESSION_SECRET: required when NODE_ENV=production (at least 32 characters)',
    );
  }
  const databasePath = e.DATABASE_PATH ?? './data/sitewatt.db';
  return {
    env: nodeEnv,
    port,
    host: e.HOST ?? '127.0.0.1',
    databasePath,
    sessionSecret: e.SESSION_SECRET ?? localSessionSecret(databasePath),
    cookieSecure: truthy(e.COOKIE_SECURE, production),
    demo: truthy(e.DEMO, !production),
    demoPassword: e.DEMO_PASSWORD ?? 'sitewatt-demo',
    simulator: (e.SIMULATOR ?? 'on') === 'on',
    logLevel: e.LOG_LEVEL ?? 'info',
    logPretty: (e.LOG_FORMAT ?? (process.stdout.isTTY && !production ? 'pretty' : 'json')) === 'pretty',
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    metricsToken: e.METRICS_TOKEN ?? null,
    retentionDays: Number(e.RETENTION_DAYS ?? 0),
    maxEventLoopDelayMs: Number(e.MAX_EVENT_LOOP_DELAY_MS ?? 1000),
    tokenMaxDays,
    streamRecheckMs: 5_000,
    rateLimit: {
      perPrincipal: Number(e.RATE_LIMIT ?? 600),
      perAddress: Number(e.RATE_LIMIT_ANONYMOUS ?? 600),
      windowSeconds: Number(e.RATE_LIMIT_WINDOW_SECONDS ?? 60),
    },
    mqtt: mqttPort === null ? null : { port: mqttPort, host: e.MQTT_HOST ?? '127.0.0.1' },
    dailyFoldMs: 5_000,
    webhooks: { allowHosts: hostList(e.WEBHOOK_ALLOW_HOSTS), dispatchMs: 2_000, retryBaseMs: 30_000 },
    alarmSweepMs: Number(e.ALARM_SWEEP_SECONDS ?? 30) * 1000,
  };
}

/** "a.example, 127.0.0.1, [::1]" → ["a.example", "127.0.0.1", "::1"]: lower case, without brackets. */
function hostList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\[|\]$/g, ''),
    )
    .filter(Boolean);
}

function parseTrustProxy(v: string | undefined): boolean | number | string {
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true') return true;
  if (/^[0-9]+$/.test(v)) return Number(v);
  return v; // comma-separated addresses or CIDRs
}

/** Outside production, a secret is generated once and kept beside the database so sessions survive restarts. */
function localSessionSecret(databasePath: string): string {
  if (databasePath === ':memory:') return randomBytes(32).toString('hex');
  const file = join(dirname(databasePath), '.session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(databasePath), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** A config for tests: in-memory database, no demo, no simulator. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    env: 'test',
    port: 0,
    host: '127.0.0.1',
    databasePath: ':memory:',
    sessionSecret: 'test-secret-test-secret-test-secret-0123',
    cookieSecure: false,
    demo: false,
    demoPassword: 'sitewatt-demo',
    simulator: false,
    logLevel: 'silent',
    logPretty: false,
    trustProxy: false,
    metricsToken: null,
    retentionDays: 0,
    // Off in tests: a loaded CI machine lags, and a random 503 would be a flaky test.
    maxEventLoopDelayMs: 0,
    tokenMaxDays: 365,
    streamRecheckMs: 5_000,
    // On, but out of reach: tests that fire thousands of requests (fuzz, matrix) are never refused;
    // the limiter's own tests set small quotas.
    rateLimit: { perPrincipal: 1_000_000_000, perAddress: 1_000_000_000, windowSeconds: 60 },
    // Off in tests: a fold at a random moment would change what a test sees; tests that need it set it.
    dailyFoldMs: 0,
    mqtt: null,
    // Off in tests: a webhook test turns it on with the receiver's host allowed.
    webhooks: { allowHosts: [], dispatchMs: 0, retryBaseMs: 30_000 },
    alarmSweepMs: 30_000,
    ...overrides,
  };
}
