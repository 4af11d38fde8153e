// The only module that reads process.env. One TypeBox schema, validated at boot.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]);

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')])),
  PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_PATH: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_SIZE: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Optional(Type.String({ pattern: '^[0-9]{1,7}$' })),
  JOB_LEASE_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
  SESSION_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  COOKIE_SECURE: Type.Optional(Bool),
  DEMO: Type.Optional(Bool),
  DEMO_PASSWORD: Type.Optional(Type.String({ minLength: 8 })),
  SIMULATOR: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('mqtt')])),
  SIMULATOR_BACKFILL_DAYS: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
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
  MQTT_MAX_PACKET_BYTES: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{1,8}$' })),
  MQTT_RATE_PER_KEY: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,6}$' })),
  MQTT_BURST_PER_KEY: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,6}$' })),
  MQTT_CONNECTIONS_PER_KEY: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,6}$' })),
  MQTT_TLS_CERT: Type.Optional(Type.String({ minLength: 1 })),
  MQTT_TLS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  MQTT_BRIDGE_URL: Type.Optional(Type.String({ pattern: '^mqtts?://' })),
  MQTT_BRIDGE_TOPIC: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  MQTT_BRIDGE_CONNECTIONS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]?$' })),
  MQTT_BRIDGE_CLIENT_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,20}$' })),
  ALARM_SWEEP_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  LOG_LEVEL: Type.Optional(
    Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  ),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** ':memory:' for tests. Unused when `postgres` is set. */
  databasePath: string;
  /**
   * PostgreSQL instead of SQLite (DATABASE_URL; docs/decisions/016-postgresql.md): null is SQLite at
   * databasePath. `schema` (not an environment variable) puts the tables in a schema of their own,
   * created if missing: the test harness gives each app one.
   */
  postgres: { url: string; poolSize: number; statementTimeoutMs: number; schema?: string } | null;
  /**
   * With PostgreSQL, how long a singleton job's lease (simulator, retention, daily fold, no_data
   * sweep) lasts unrenewed: a dead node's jobs move to another within this (JOB_LEASE_SECONDS).
   */
  jobLeaseMs: number;
  sessionSecret: string;
  cookieSecure: boolean;
  demo: boolean;
  demoPassword: string;
  /** History the simulator writes at first start, and at most fills after a pause (SIMULATOR_BACKFILL_DAYS). */
  simulatorBackfillDays: number;
  simulator: boolean;
  /**
   * How the simulator's live readings enter: `direct` through the readings service, `mqtt` through
   * the built-in broker with one ingest key per demo site (SIMULATOR=mqtt), as a device's would.
   */
  simulatorTransport: 'direct' | 'mqtt';
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
   * Alarm webhooks (docs/alarms.md, "Webhooks"). `allowHosts` (WEBHOOK_ALLOW_HOSTS, comma-separated
   * host names or addresses as written in URLs) may resolve to loopback or private addresses, which
   * are refused otherwise. The rest is not an environment variable: how often the outbox is emptied
   * (0: never, tests call it) and the first retry's delay.
   */
  webhooks: { allowHosts: string[]; dispatchMs: number; retryBaseMs: number };
  /**
   * The built-in MQTT broker for field devices (src/plugins/app/mqtt.ts): null is off. Port 0 takes
   * a free port (tests). There is no default port: 1883 is usually another broker's.
   */
  mqtt: MqttConfig | null;
  /**
   * The bridge from an existing broker (src/plugins/app/mqtt-bridge.ts): null is off. `topic` is
   * the filter subscribed to, with one `+` where the device id is.
   */
  mqttBridge: MqttBridgeConfig | null;
  /** How often no_data alarm rules are checked (ALARM_SWEEP_SECONDS); 0 never (tests call the sweep). */
  alarmSweepMs: number;
  /** How often days that ingestion changed are folded into the daily roll-ups; 0: only when read. Not an environment variable. */
  dailyFoldMs: number;
}

export interface MqttConfig {
  port: number;
  host: string;
  /**
   * Messages that arrive within this many milliseconds are committed in one transaction (then all
   * acknowledged); 0 commits each alone. Not an environment variable.
   */
  batchMs: number;
  /** A packet larger than this closes its connection before it is read. */
  maxPacketBytes: number;
  /** Messages per second per ingest key (all its connections together), and the burst above it. */
  ratePerKey: number;
  burstPerKey: number;
  /** Connections open at once with one ingest key. */
  connectionsPerKey: number;
  /** PEM files: with both, the broker speaks MQTT over TLS only. */
  tls: { certFile: string; keyFile: string } | null;
}

export interface MqttBridgeConfig {
  /** mqtt:// or mqtts://, with the broker's user name and password in it if it wants them. */
  url: string;
  /** The filter subscribed to (as `$share/sitewatt/<topic>`), with one `+` where the device id is. */
  topic: string;
  /** Connections in the shared subscription: each handles one message at a time (mqtt-bridge.ts). */
  connections: number;
  /** Each connection's client id is this with `-<n>`: one per node, kept across restarts. */
  clientId: string;
  /** How long the broker keeps the bridge's session (and its queued messages) while it is away. */
  sessionExpirySeconds: number;
}

/** The built-in broker's settings that have defaults. */
export const MQTT_DEFAULTS = {
  host: '127.0.0.1',
  batchMs: 5,
  maxPacketBytes: 2 * 1024 * 1024,
  ratePerKey: 100,
  burstPerKey: 200,
  connectionsPerKey: 10,
  tls: null,
} satisfies Omit<MqttConfig, 'port'>;

export const MQTT_BRIDGE_TOPIC = 'sitewatt/devices/+/telemetry';

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
  if (!e.MQTT_TLS_CERT !== !e.MQTT_TLS_KEY)
    throw new ConfigError('Invalid configuration:\n  MQTT_TLS_CERT, MQTT_TLS_KEY: set both, or neither');
  for (const [name, file] of [
    ['MQTT_TLS_CERT', e.MQTT_TLS_CERT],
    ['MQTT_TLS_KEY', e.MQTT_TLS_KEY],
  ] as const)
    if (file && !existsSync(file)) throw new ConfigError(`Invalid configuration:\n  ${name}: no such file ${file}`);
  const bridgeTopic = e.MQTT_BRIDGE_TOPIC ?? MQTT_BRIDGE_TOPIC;
  if (bridgeTopic.split('/').filter((level) => level === '+').length !== 1 || bridgeTopic.includes('#'))
    throw new ConfigError(
      'Invalid configuration:\n  MQTT_BRIDGE_TOPIC: one `+` level where the device id is, and no `#`',
    );
  if (e.SIMULATOR === 'mqtt' && mqttPort === null)
    throw new ConfigError('Invalid configuration:\n  SIMULATOR: mqtt needs the built-in broker (set MQTT_PORT)');
  const tokenMaxDays = Number(e.TOKEN_MAX_DAYS ?? 365);
  // The API's own ceiling on expiresInDays is ten years (src/schemas/users.ts).
  if (tokenMaxDays < 1 || tokenMaxDays > 3650)
    throw new ConfigError('Invalid configuration:\n  TOKEN_MAX_DAYS: must be between 1 and 3650');
  if (production && !e.SESSION_SECRET) {
    throw new ConfigError(
      'Invalid configuration:\n  SESSION_SECRET: required when NODE_ENV=production (at least 32 characters)',
    );
  }
  // Nodes sharing one PostgreSQL database must sign session cookies alike: a secret generated beside
  // a SQLite file cannot be shared, so it is required.
  if (e.DATABASE_URL && !e.SESSION_SECRET) {
    throw new ConfigError(
      'Invalid configuration:\n  SESSION_SECRET: required when DATABASE_URL is set (at least 32 characters, the same on every node)',
    );
  }
  const databasePath = e.DATABASE_PATH ?? './data/sitewatt.db';
  return {
    env: nodeEnv,
    port,
    host: e.HOST ?? '127.0.0.1',
    databasePath,
    postgres: e.DATABASE_URL
      ? {
          url: e.DATABASE_URL,
          poolSize: Number(e.DATABASE_POOL_SIZE ?? 10),
          statementTimeoutMs: Number(e.DATABASE_STATEMENT_TIMEOUT_MS ?? 30_000),
        }
      : null,
    jobLeaseMs: Number(e.JOB_LEASE_SECONDS ?? 30) * 1000,
    sessionSecret: e.SESSION_SECRET ?? localSessionSecret(databasePath),
    cookieSecure: truthy(e.COOKIE_SECURE, production),
    demo: truthy(e.DEMO, !production),
    demoPassword: e.DEMO_PASSWORD ?? 'sitewatt-demo',
    simulator: (e.SIMULATOR ?? 'on') !== 'off',
    simulatorTransport: e.SIMULATOR === 'mqtt' ? 'mqtt' : 'direct',
    simulatorBackfillDays: Number(e.SIMULATOR_BACKFILL_DAYS ?? 30),
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
    mqtt:
      mqttPort === null
        ? null
        : {
            port: mqttPort,
            host: e.MQTT_HOST ?? MQTT_DEFAULTS.host,
            batchMs: MQTT_DEFAULTS.batchMs,
            maxPacketBytes: Number(e.MQTT_MAX_PACKET_BYTES ?? MQTT_DEFAULTS.maxPacketBytes),
            ratePerKey: Number(e.MQTT_RATE_PER_KEY ?? MQTT_DEFAULTS.ratePerKey),
            burstPerKey: Number(e.MQTT_BURST_PER_KEY ?? MQTT_DEFAULTS.burstPerKey),
            connectionsPerKey: Number(e.MQTT_CONNECTIONS_PER_KEY ?? MQTT_DEFAULTS.connectionsPerKey),
            tls: e.MQTT_TLS_CERT && e.MQTT_TLS_KEY ? { certFile: e.MQTT_TLS_CERT, keyFile: e.MQTT_TLS_KEY } : null,
          },
    mqttBridge: e.MQTT_BRIDGE_URL
      ? {
          url: e.MQTT_BRIDGE_URL,
          topic: bridgeTopic,
          connections: Number(e.MQTT_BRIDGE_CONNECTIONS ?? 8),
          clientId:
            e.MQTT_BRIDGE_CLIENT_ID ??
            `sitewatt-${hostname()
              .replace(/[^A-Za-z0-9._-]/g, '')
              .slice(0, 11)}`,
          sessionExpirySeconds: 86_400,
        }
      : null,
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
    postgres: null,
    jobLeaseMs: 30_000,
    sessionSecret: 'test-secret-test-secret-test-secret-0123',
    cookieSecure: false,
    demo: false,
    demoPassword: 'sitewatt-demo',
    simulatorBackfillDays: 30,
    simulator: false,
    simulatorTransport: 'direct',
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
    mqttBridge: null,
    alarmSweepMs: 30_000,
    ...overrides,
  };
}
