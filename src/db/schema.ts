// Tables in camelCase, columns in snake_case (Drizzle's better-sqlite3 example).
// Public ids are opaque strings; metrics also carry an integer `pk` so the readings
// table stays compact (docs/decisions/007-compact-readings.md).
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { EnergyRole } from '../domain/energy-roles.js';

const createdAt = () => integer('created_at', { mode: 'number' }).notNull();

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  isAdmin: integer('is_admin', { mode: 'boolean' }).notNull().default(false),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  createdAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'number' }).notNull(),
});

export const sessions = sqliteTable(
  'sessions',
  {
    sid: text('sid').primaryKey(),
    data: text('data').notNull(),
    userId: text('user_id'),
    expiresAt: integer('expires_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('sessions_expires_at_idx').on(t.expiresAt), index('sessions_user_id_idx').on(t.userId)],
);

export const apiTokens = sqliteTable(
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
    expiresAt: integer('expires_at', { mode: 'number' }),
    lastUsedAt: integer('last_used_at', { mode: 'number' }),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_idx').on(t.tokenHash), index('api_tokens_user_id_idx').on(t.userId)],
);

export const sites = sqliteTable(
  'sites',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    latitude: real('latitude'),
    longitude: real('longitude'),
    timezone: text('timezone').notNull().default('UTC'),
    // The zone whose local days rollups_1d holds for this site's metrics, complete and kept up to
    // date; null while they are (re)built (src/db/repositories/dailies.ts).
    dailyTz: text('daily_tz'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('sites_name_idx').on(t.name, t.id)],
);

export const siteMembers = sqliteTable(
  'site_members',
  {
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['viewer', 'technician'] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.userId] }), index('site_members_user_idx').on(t.userId)],
);

export const devices = sqliteTable(
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
    /** Nameplate power in kW; null: the type's default (DEFAULT_RATED_KW). */
    ratedPowerKw: real('rated_power_kw'),
    /** Driven by the simulator: only devices the demo seed created are; a device someone adds never is. */
    simulated: integer('simulated', { mode: 'boolean' }).notNull().default(false),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('devices_site_idx').on(t.siteId, t.name, t.id)],
);

export const metrics = sqliteTable(
  'metrics',
  {
    pk: integer('pk').primaryKey({ autoIncrement: true }),
    id: text('id').notNull(),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    unit: text('unit').notNull(),
    kind: text('kind', { enum: ['gauge', 'counter'] }).notNull(),
    intervalSeconds: integer('interval_seconds').notNull(),
    // What it measures in the site's energy balance (src/domain/energy-roles.ts); null: no part of it.
    energyRole: text('energy_role').$type<EnergyRole>(),
    // Display precision: aggregated answers (avg, sum, delta) and chart legends are rounded to it; null: as computed.
    decimals: integer('decimals'),
    // Latest reading by timestamp, kept up to date at ingestion so the feed is one row read.
    latestTs: integer('latest_ts'),
    latestValue: real('latest_value'),
    latestReceivedAt: integer('latest_received_at'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    uniqueIndex('metrics_id_idx').on(t.id),
    uniqueIndex('metrics_device_key_idx').on(t.deviceId, t.key),
    index('metrics_site_idx').on(t.siteId),
  ],
);

// Declared here for Drizzle's queries; the migration creates it WITHOUT ROWID
// (the primary key is the clustered index), which roughly halves its size.
export const readings = sqliteTable(
  'readings',
  {
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    ts: integer('ts').notNull(),
    value: real('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.metricPk, t.ts] })],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    actorId: text('actor_id'),
    siteId: text('site_id'),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    action: text('action', { enum: ['create', 'update', 'delete'] }).notNull(),
    before: text('before'),
    after: text('after'),
  },
  (t) => [index('audit_site_idx').on(t.siteId, t.id), index('audit_entity_idx').on(t.entityId, t.id)],
);

// Hourly roll-ups (UTC hours) of readings, kept up to date at ingestion, so long windows read
// one row per metric-hour instead of sixty readings. WITHOUT ROWID in the migration.
export const rollupsHourly = sqliteTable(
  'rollups_1h',
  {
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    start: integer('start').notNull(),
    count: integer('count').notNull(),
    sum: real('sum').notNull(),
    min: real('min').notNull(),
    max: real('max').notNull(),
    first: real('first').notNull(),
    last: real('last').notNull(),
    firstTs: integer('first_ts').notNull(),
    lastTs: integer('last_ts').notNull(),
    deltaIn: real('delta_in').notNull(),
    // Counter increase from the previous reading (the previous roll-up's last) to this hour's first,
    // so a bucket's delta is the plain sum of delta_in + delta_prev and SQL can aggregate it.
    deltaPrev: real('delta_prev').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.metricPk, t.start] })],
);

// Daily roll-ups on the local days of the site's zone (sites.daily_tz), folded from the hourly
// ones, so a year of daily buckets reads 365 rows per metric instead of 8,760.
// Only days whose both midnights fall on a UTC hour have one. WITHOUT ROWID in the migration.
export const rollupsDaily = sqliteTable(
  'rollups_1d',
  {
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    start: integer('start').notNull(),
    count: integer('count').notNull(),
    sum: real('sum').notNull(),
    min: real('min').notNull(),
    max: real('max').notNull(),
    first: real('first').notNull(),
    last: real('last').notNull(),
    // Counter increase over the day, the step into its first reading included (sum of delta_in + delta_prev).
    delta: real('delta').notNull(),
  },
  (t) => [primaryKey({ columns: [t.metricPk, t.start] })],
);

// Days of rollups_1d that ingestion changed and that are not refolded yet: marking a day costs a
// fraction of folding it, and a day written by many batches is folded once (dailies.ts).
export const rollupsDailyPending = sqliteTable(
  'rollups_1d_pending',
  {
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    start: integer('start').notNull(),
    end: integer('end').notNull(),
  },
  (t) => [primaryKey({ columns: [t.metricPk, t.start] })],
);

export const subscriptions = sqliteTable(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('subscriptions_owner_idx').on(t.ownerId, t.name)],
);

// A deleted metric (or device) leaves every subscription through the cascade.
export const subscriptionMetrics = sqliteTable(
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

/**
 * One row whose `version` moves whenever who-may-see-what changes: users, site memberships, sites,
 * API tokens (triggers in drizzle/0003_access_version.sql). The auth service caches actors and
 * tokens and drops them when it reads a new version, so a change made by any writer, even SQL
 * typed by hand, is seen by the next request.
 */
export const accessVersion = sqliteTable('access_version', {
  id: integer('id').primaryKey(),
  version: integer('version').notNull(),
});

/**
 * One row whose `version` moves whenever a site's devices or metrics change other than by a new
 * latest value: a metric or device created, edited or deleted (triggers in
 * drizzle/0004_catalog_version.sql). While it is unchanged the metrics repository caches each
 * site's metrics without their latest values (read fresh) and the devices repository the first
 * page of each site's devices, the hottest reads.
 */
export const catalogVersion = sqliteTable('catalog_version', {
  id: integer('id').primaryKey(),
  version: integer('version').notNull(),
});

/**
 * Ingest keys: credentials of field devices that may only write readings, to any device of their
 * site or to one device (`device_id`). Only the SHA-256 of the secret is stored. A revoked key
 * keeps its row (listed as revoked); deleting its site or its device deletes it. Triggers move
 * `access_version` when a key is revoked or deleted (the custom migration after the DDL), so cached
 * keys and open device connections see it on their next message, on every node.
 */
export const ingestKeys = sqliteTable(
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
    lastUsedAt: integer('last_used_at', { mode: 'number' }),
    revokedAt: integer('revoked_at', { mode: 'number' }),
  },
  (t) => [
    uniqueIndex('ingest_keys_key_hash_idx').on(t.keyHash),
    index('ingest_keys_site_idx').on(t.siteId),
    index('ingest_keys_device_idx').on(t.deviceId),
  ],
);

// ---- Alarms (docs/alarms.md) ----------------------------------------------------------------

/**
 * A rule on one metric (`metric_pk`), or on every metric with `metric_key` of every device of
 * `device_type` on the site (both null then `metric_pk` set), so a device added later is covered.
 */
export const alarmRules = sqliteTable(
  'alarm_rules',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    metricPk: integer('metric_pk').references(() => metrics.pk, { onDelete: 'cascade' }),
    deviceType: text('device_type'),
    metricKey: text('metric_key'),
    condition: text('condition', { enum: ['above', 'below', 'outside', 'no_data'] }).notNull(),
    threshold: real('threshold'),
    low: real('low'),
    high: real('high'),
    clearThreshold: real('clear_threshold'),
    forSeconds: integer('for_seconds').notNull().default(0),
    noDataMinutes: integer('no_data_minutes'),
    severity: text('severity', { enum: ['critical', 'major', 'minor', 'warning'] }).notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [
    index('alarm_rules_metric_idx').on(t.metricPk),
    index('alarm_rules_site_key_idx').on(t.siteId, t.deviceType, t.metricKey),
  ],
);

/**
 * Where each (rule, metric) stands between readings, so evaluation survives a restart and several
 * processes share it: `firing` while its alarm is open, `pending_since` the reading time the
 * condition began to hold (null: it does not), `restarted_at` when a hand clear started the rule
 * over (no_data counts silence from then). The newest reading already evaluated is the metric's
 * `latest_ts`: evaluation runs in the transaction that moves it. Only transitions write here.
 */
export const alarmStates = sqliteTable(
  'alarm_states',
  {
    ruleId: text('rule_id')
      .notNull()
      .references(() => alarmRules.id, { onDelete: 'cascade' }),
    metricPk: integer('metric_pk')
      .notNull()
      .references(() => metrics.pk, { onDelete: 'cascade' }),
    firing: integer('firing', { mode: 'boolean' }).notNull().default(false),
    pendingSince: integer('pending_since'),
    restartedAt: integer('restarted_at'),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.metricPk] }), index('alarm_states_metric_idx').on(t.metricPk)],
);

/**
 * Raised alarms, kept after they clear (the history). Open means not cleared: at most one per rule
 * and metric (a metric belongs to one device), enforced by a partial unique index, so two
 * processes evaluating the same readings cannot raise it twice. A deleted rule leaves its alarms.
 */
export const alarms = sqliteTable(
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
    severity: text('severity', { enum: ['critical', 'major', 'minor', 'warning'] }).notNull(),
    /** The rule's condition in words when it raised ("above 90", "no data for 15 min"): it outlives the rule. */
    summary: text('summary').notNull(),
    raisedAt: integer('raised_at').notNull(),
    lastSeen: integer('last_seen').notNull(),
    peakValue: real('peak_value'),
    acknowledgedBy: text('acknowledged_by').references(() => users.id, { onDelete: 'set null' }),
    acknowledgedAt: integer('acknowledged_at'),
    ackComment: text('ack_comment'),
    clearedAt: integer('cleared_at'),
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

/**
 * Every change of an alarm that people and webhooks hear about (raised, acknowledged, cleared,
 * severity changed), written in the transaction that made it. `seq` orders them for every process:
 * live streams read what is newer than the last they sent, so a change made by another process on
 * the same database reaches them too. A moving `last_seen` or peak is not an event. Kept a day.
 */
export const alarmEvents = sqliteTable(
  'alarm_events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    alarmId: text('alarm_id')
      .notNull()
      .references(() => alarms.id, { onDelete: 'cascade' }),
    siteId: text('site_id').notNull(),
    kind: text('kind', { enum: ['raised', 'acknowledged', 'cleared', 'updated'] }).notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('alarm_events_at_idx').on(t.at)],
);

/** A site's webhook (docs/alarms.md, "Webhooks"). The secret signs each delivery; the API never shows it again. */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    secret: text('secret').notNull(),
    /** Comma-separated severities it is sent, e.g. "critical,major". */
    severities: text('severities').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'number' }).notNull(),
  },
  (t) => [index('webhooks_site_idx').on(t.siteId)],
);

/**
 * The outbox: one row per alarm change and webhook, written in the transaction of the change, so a
 * restart loses nothing. The body is fixed when it is written (every attempt signs the same bytes).
 * A process claims due rows by setting `locked_until`, so two processes do not send one at once.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    alarmId: text('alarm_id').notNull(),
    body: text('body').notNull(),
    state: text('state', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lockedUntil: integer('locked_until'),
    createdAt: createdAt(),
    finishedAt: integer('finished_at'),
  },
  (t) => [
    index('webhook_deliveries_due_idx').on(t.state, t.nextAttemptAt),
    index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt),
  ],
);

/** Each attempt at a delivery: when, how it ended (status code or error), how long it took. */
export const webhookAttempts = sqliteTable(
  'webhook_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    at: integer('at').notNull(),
    ok: integer('ok', { mode: 'boolean' }).notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.at)],
);
