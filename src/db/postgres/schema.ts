// The PostgreSQL twin of src/db/schema.ts: same tables, columns, keys and indexes (checked by
// tests/db/schema-parity.test.ts), with types that keep the same JSON shapes
// (docs/decisions/016-postgresql.md): timestamps stay epoch milliseconds (int8 read back as
// numbers, src/db/postgres/client.ts), booleans are booleans, reals are double precision.
// Every text column sorts and compares in byte order (COLLATE "C"), as SQLite's BINARY does, so
// lists, their cursors and unique keys behave alike whatever the database's default collation.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { EnergyRole } from '../../domain/energy-roles.js';

/** Text compared byte by byte (SQLite's BINARY collation). */
const text = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });
/** Epoch milliseconds: int8, read back as a number. */
const ms = (name: string) => bigint(name, { mode: 'number' });
const createdAt = () => ms('created_at').notNull();

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  isAdmin: boolean('is_admin').notNull().default(false),
  active: boolean('active').notNull().default(true),
  createdAt: createdAt(),
  updatedAt: ms('updated_at').notNull(),
});

export const sessions = pgTable(
  'sessions',
  {
    sid: text('sid').primaryKey(),
    data: text('data').notNull(),
    userId: text('user_id'),
    expiresAt: ms('expires_at').notNull(),
  },
  (t) => [index('sessions_expires_at_idx').on(t.expiresAt), index('sessions_user_id_idx').on(t.userId)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    prefix: text('prefix').notNull(),
    createdAt: createdAt(),
    expiresAt: ms('expires_at'),
    lastUsedAt: ms('last_used_at'),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_idx').on(t.tokenHash), index('api_tokens_user_id_idx').on(t.userId)],
);

export const sites = pgTable(
  'sites',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    timezone: text('timezone').notNull().default('UTC'),
    dailyTz: text('daily_tz'),
    createdAt: createdAt(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('sites_name_idx').on(t.name, t.id)],
);

export const siteMembers = pgTable(
  'site_members',
  {
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').$type<'viewer' | 'technician'>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.userId] }), index('site_members_user_idx').on(t.userId)],
);

export const devices = pgTable(
  'devices',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type').notNull(),
    manufacturer: text('manufacturer'),
    model: text('model'),
    serialNumber: text('serial_number'),
    ratedPowerKw: doublePrecision('rated_power_kw'),
    simulated: boolean('simulated').notNull().default(false),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('devices_site_idx').on(t.siteId, t.name, t.id)],
);

export const metrics = pgTable(
  'metrics',
  {
    // int4: the readings' key column stays four bytes.
    pk: integer('pk').primaryKey().generatedByDefaultAsIdentity(),
    id: text('id').notNull(),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    unit: text('unit').notNull(),
    kind: text('kind').$type<'gauge' | 'counter'>().notNull(),
    intervalSeconds: integer('interval_seconds').notNull(),
    energyRole: text('energy_role').$type<EnergyRole>(),
    decimals: integer('decimals'),
    latestTs: ms('latest_ts'),
    latestValue: doublePrecision('latest_value'),
    latestReceivedAt: ms('latest_received_at'),
    createdAt: createdAt(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('metrics_id_idx').on(t.id),
    uniqueIndex('metrics_device_key_idx').on(t.deviceId, t.key),
    index('metrics_site_idx').on(t.siteId),
  ],
);

// No foreign key to metrics, unlike SQLite's: PostgreSQL checks one per inserted row, which doubled
// the cost of storing a batch. The same guarantees are kept per batch instead: ingestion locks its
// metrics' rows (FOR KEY SHARE, as the key check does) and refuses a batch naming a missing one
// (repositories/readings.ts; the hourly roll-ups' foreign key, one row per metric and hour, checks
// it again), and a trigger deletes a deleted metric's readings (drizzle-pg/0007).
export const readings = pgTable(
  'readings',
  {
    metricPk: integer('metric_pk').notNull(),
    ts: ms('ts').notNull(),
    value: doublePrecision('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.metricPk, t.ts] })],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    at: ms('at').notNull(),
    actorId: text('actor_id'),
    siteId: text('site_id'),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    action: text('action').$type<'create' | 'update' | 'delete'>().notNull(),
    before: text('before'),
    after: text('after'),
  },
  (t) => [index('audit_site_idx').on(t.siteId, t.id), index('audit_entity_idx').on(t.entityId, t.id)],
);

export const rollupsHourly = pgTable(
  'rollups_1h',
  {
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    start: ms('start').notNull(),
    count: integer('count').notNull(),
    sum: doublePrecision('sum').notNull(),
    min: doublePrecision('min').notNull(),
    max: doublePrecision('max').notNull(),
    first: doublePrecision('first').notNull(),
    last: doublePrecision('last').notNull(),
    firstTs: ms('first_ts').notNull(),
    lastTs: ms('last_ts').notNull(),
    deltaIn: doublePrecision('delta_in').notNull(),
    deltaPrev: doublePrecision('delta_prev').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.metricPk, t.start] })],
);

export const rollupsDaily = pgTable(
  'rollups_1d',
  {
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    start: ms('start').notNull(),
    count: integer('count').notNull(),
    sum: doublePrecision('sum').notNull(),
    min: doublePrecision('min').notNull(),
    max: doublePrecision('max').notNull(),
    first: doublePrecision('first').notNull(),
    last: doublePrecision('last').notNull(),
    delta: doublePrecision('delta').notNull(),
  },
  (t) => [primaryKey({ columns: [t.metricPk, t.start] })],
);

export const rollupsDailyPending = pgTable(
  'rollups_1d_pending',
  {
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    start: ms('start').notNull(),
    end: ms('end').notNull(),
  },
  (t) => [primaryKey({ columns: [t.metricPk, t.start] })],
);

export const subscriptions = pgTable(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: createdAt(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('subscriptions_owner_idx').on(t.ownerId, t.name)],
);

export const subscriptionMetrics = pgTable(
  'subscription_metrics',
  {
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id, { onDelete: 'cascade' }),
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.subscriptionId, t.metricPk] }),
    index('subscription_metrics_metric_idx').on(t.metricPk),
  ],
);

/** Moved by triggers (drizzle-pg, the custom migration) whenever who-may-see-what changes; see src/db/schema.ts. */
export const accessVersion = pgTable('access_version', {
  id: integer('id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull(),
});

/** Moved by triggers whenever a site's devices, metrics or alarm rules change other than by a new latest value. */
export const catalogVersion = pgTable('catalog_version', {
  id: integer('id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull(),
});

export const ingestKeys = pgTable(
  'ingest_keys',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    deviceId: text('device_id').references(() => devices.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull(),
    prefix: text('prefix').notNull(),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    lastUsedAt: ms('last_used_at'),
    revokedAt: ms('revoked_at'),
  },
  (t) => [
    uniqueIndex('ingest_keys_key_hash_idx').on(t.keyHash),
    index('ingest_keys_site_idx').on(t.siteId),
    index('ingest_keys_device_idx').on(t.deviceId),
  ],
);

// ---- Alarms (docs/alarms.md) ----------------------------------------------------------------

export const alarmRules = pgTable(
  'alarm_rules',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    metricPk: integer('metric_pk').references(() => metrics.pk, { onDelete: 'cascade' }),
    deviceType: text('device_type'),
    metricKey: text('metric_key'),
    condition: text('condition').$type<'above' | 'below' | 'outside' | 'no_data'>().notNull(),
    threshold: doublePrecision('threshold'),
    low: doublePrecision('low'),
    high: doublePrecision('high'),
    clearThreshold: doublePrecision('clear_threshold'),
    forSeconds: integer('for_seconds').notNull().default(0),
    noDataMinutes: integer('no_data_minutes'),
    severity: text('severity').$type<'critical' | 'major' | 'minor' | 'warning'>().notNull(),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    index('alarm_rules_metric_idx').on(t.metricPk),
    index('alarm_rules_site_key_idx').on(t.siteId, t.deviceType, t.metricKey),
  ],
);

export const alarmStates = pgTable(
  'alarm_states',
  {
    ruleId: text('rule_id')
      .notNull()
      .references(() => alarmRules.id, { onDelete: 'cascade' }),
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    firing: boolean('firing').notNull().default(false),
    pendingSince: ms('pending_since'),
    restartedAt: ms('restarted_at'),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.metricPk] }), index('alarm_states_metric_idx').on(t.metricPk)],
);

export const alarms = pgTable(
  'alarms',
  {
    id: text('id').primaryKey(),
    ruleId: text('rule_id').references(() => alarmRules.id, { onDelete: 'set null' }),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    severity: text('severity').$type<'critical' | 'major' | 'minor' | 'warning'>().notNull(),
    summary: text('summary').notNull(),
    raisedAt: ms('raised_at').notNull(),
    lastSeen: ms('last_seen').notNull(),
    peakValue: doublePrecision('peak_value'),
    acknowledgedBy: text('acknowledged_by').references(() => users.id, { onDelete: 'set null' }),
    acknowledgedAt: ms('acknowledged_at'),
    ackComment: text('ack_comment'),
    clearedAt: ms('cleared_at'),
    clearedBy: text('cleared_by').references(() => users.id, { onDelete: 'set null' }),
    clearReason: text('clear_reason'),
  },
  (t) => [
    uniqueIndex('alarms_open_idx')
      .on(t.ruleId, t.metricPk)
      .where(sql`cleared_at IS NULL`),
    index('alarms_site_idx').on(t.siteId, t.raisedAt),
    index('alarms_device_idx').on(t.deviceId, t.raisedAt),
    index('alarms_raised_idx').on(t.raisedAt),
  ],
);

export const alarmEvents = pgTable(
  'alarm_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    alarmId: text('alarm_id')
      .notNull()
      .references(() => alarms.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    kind: text('kind').$type<'raised' | 'acknowledged' | 'cleared' | 'updated'>().notNull(),
    at: ms('at').notNull(),
  },
  (t) => [index('alarm_events_at_idx').on(t.at)],
);

export const webhooks = pgTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    secret: text('secret').notNull(),
    severities: text('severities').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('webhooks_site_idx').on(t.siteId)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    alarmId: text('alarm_id').notNull(),
    body: text('body').notNull(),
    state: text('state').$type<'pending' | 'delivered' | 'failed'>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ms('next_attempt_at').notNull(),
    lockedUntil: ms('locked_until'),
    createdAt: createdAt(),
    finishedAt: ms('finished_at'),
  },
  (t) => [
    index('webhook_deliveries_due_idx').on(t.state, t.nextAttemptAt),
    index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt),
  ],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    at: ms('at').notNull(),
    ok: boolean('ok').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.at)],
);
