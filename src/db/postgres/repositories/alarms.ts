// Alarm rules, standings and alarms on PostgreSQL: the twin of ../../repositories/alarms.ts.
// Evaluation runs inside the ingestion transaction (readings.ts calls evaluator.evaluateMetric with
// its connection) under the metric's advisory lock, so two writers of one metric evaluate one after
// the other; the unique partial index alarms_open_idx keeps one open alarm per rule and metric
// whoever raises it (a second raise is ON CONFLICT … DO NOTHING).
import type { Pool, PoolClient } from 'pg';
import { describeRule, evaluate, noDataCutoff, type RuleSpec, type Severity } from '../../../alarms/evaluate.js';
import { webhookBody, type AlarmEventKind } from '../../../alarms/view.js';
import type { AlarmRow, AlarmRule, AlarmRuleInput, AlarmState } from '../../repositories/alarms.js';
import type { Repositories } from '../../repositories/index.js';
import { newId } from '../../ids.js';
import { catalogueCache, named, transaction, writeAudit, type PgHandle, type Queryable } from './sql.js';

const RULE_COLS = `r.id, r.site_id AS "siteId", r.metric_pk AS "metricPk", m.id AS "metricId", r.device_type AS "deviceType",
  r.metric_key AS "metricKey", r.condition, r.threshold, r.low, r.high, r.clear_threshold AS "clearThreshold",
  r.for_seconds AS "forSeconds", r.no_data_minutes AS "noDataMinutes", r.severity, r.enabled, r.created_at AS "createdAt",
  r.updated_at AS "updatedAt"`;

const ALARM_COLS = `a.id, a.rule_id AS "ruleId", a.site_id AS "siteId", s.name AS "siteName", a.device_id AS "deviceId",
  d.name AS "deviceName", m.id AS "metricId", m.name AS "metricName", m.unit AS "metricUnit", a.severity, a.summary,
  a.raised_at AS "raisedAt", a.last_seen AS "lastSeen", a.peak_value AS "peakValue", a.acknowledged_by AS "acknowledgedBy",
  u.name AS "acknowledgedByName", a.acknowledged_at AS "acknowledgedAt", a.ack_comment AS "ackComment",
  a.cleared_at AS "clearedAt", a.cleared_by AS "clearedBy", a.clear_reason AS "clearReason"`;
const ALARM_FROM = `FROM alarms a JOIN sites s ON s.id = a.site_id JOIN devices d ON d.id = a.device_id
  JOIN metrics m ON m.pk = a.metric_pk LEFT JOIN users u ON u.id = a.acknowledged_by`;

const STATE_SQL: Record<AlarmState, string> = {
  active: 'a.cleared_at IS NULL AND a.acknowledged_at IS NULL',
  acknowledged: 'a.cleared_at IS NULL AND a.acknowledged_at IS NOT NULL',
  cleared: 'a.cleared_at IS NOT NULL',
  open: '(a.cleared_at IS NULL OR a.acknowledged_at IS NULL)',
};
const SEVERITY_RANK = "CASE a.severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'minor' THEN 2 ELSE 3 END";

/** Long enough for a stream to resume after a night offline; the outbox keeps its own copies. */
const EVENTS_KEPT_MS = 24 * 60 * 60 * 1000;

type MetricRule = RuleSpec & { id: string; severity: Severity };
type Place = { siteId: string; metricPk: number | null; deviceType: string | null; metricKey: string | null };

const audited = (r: AlarmRule) => {
  const { createdAt: _c, updatedAt: _u, metricPk: _p, ...rest } = r;
  return rest;
};

const RAISE = `INSERT INTO alarms (id, rule_id, site_id, device_id, metric_pk, severity, summary, raised_at, last_seen, peak_value)
  VALUES (@id, @ruleId, @siteId, @deviceId, @metricPk::int4, @severity, @summary, @at::int8, @at::int8, @value::float8)
  ON CONFLICT (rule_id, metric_pk) WHERE cleared_at IS NULL DO NOTHING`;
const seenSql = (peak: string) =>
  `UPDATE alarms SET last_seen = greatest(last_seen, @at::int8), peak_value = ${peak}
   WHERE rule_id = @ruleId AND metric_pk = @metricPk::int4 AND cleared_at IS NULL`;
const SEEN = {
  above: seenSql('greatest(coalesce(peak_value, @peak::float8), @peak::float8)'),
  below: seenSql('least(coalesce(peak_value, @peak::float8), @peak::float8)'),
  outside: seenSql(
    'CASE WHEN peak_value IS NULL OR abs(@peak::float8 - @mid::float8) > abs(peak_value - @mid::float8) THEN @peak::float8 ELSE peak_value END',
  ),
};
/** What an alarm change returns, for its event and webhook deliveries. */
const CHANGED = 'RETURNING id, site_id AS "siteId", severity';
type Changed = { id: string; siteId: string; severity: Severity };
const CLEAR_OPEN = `UPDATE alarms SET cleared_at = @at::int8, cleared_by = @by, clear_reason = @reason
  WHERE rule_id = @ruleId AND metric_pk = @metricPk::int4 AND cleared_at IS NULL ${CHANGED}`;

const run = (q: Queryable, text: string, params: Record<string, unknown>) => q.query(named(text, params));
const changedBy = async (q: Queryable, text: string, params: Record<string, unknown>) =>
  (await q.query<Changed>(named(text, params))).rows;

/** The first key of the two-key advisory lock that numbers alarm events in commit order. */
const EVENT_LOCK = 0x5357_0002;

type Pending = { a: Changed; kind: AlarmEventKind; now: number; hooks: string[]; alarm: AlarmRow | undefined };
/** Events of each open transaction not written yet: they are written at its end (flush). */
const pending = new WeakMap<Queryable, Pending[]>();

/**
 * One event per changed alarm, and a delivery for each of its site's webhooks that wants its
 * severity. The alarm is read now (the body shows it as this change left it); the rows are
 * written by flush at the end of the same transaction, so all of it commits together or not at all.
 */
async function record(c: Queryable, changed: Changed[], kind: AlarmEventKind, now: number): Promise<void> {
  for (const a of changed) {
    const hooks = (
      await c.query<{ id: string }>(
        `SELECT id FROM webhooks WHERE site_id = $1 AND enabled AND $2 = ANY(string_to_array(severities, ','))`,
        [a.siteId, a.severity],
      )
    ).rows.map((h) => h.id);
    const alarm = hooks.length
      ? (await c.query<AlarmRow>(`SELECT ${ALARM_COLS} ${ALARM_FROM} WHERE a.id = $1`, [a.id])).rows[0]
      : undefined;
    let list = pending.get(c);
    if (!list) pending.set(c, (list = []));
    list.push({ a, kind, now, hooks, alarm });
  }
}

/**
 * Writes the transaction's recorded events and deliveries; its last statements before COMMIT.
 * Streams read events by number, so numbers must be taken in commit order (as SQLite's single
 * writer gives): the event lock is held from the first number to the commit. Taken last, when
 * the transaction needs no other lock, so a holder never waits for a transaction that waits for it.
 */
async function flush(c: Queryable): Promise<void> {
  const list = pending.get(c);
  if (!list?.length) return;
  pending.delete(c);
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [EVENT_LOCK]);
  for (const { a, kind, now, hooks, alarm } of list) {
    const seq = (
      await c.query<{ seq: number }>(
        'INSERT INTO alarm_events (alarm_id, site_id, kind, at) VALUES ($1, $2, $3, $4) RETURNING seq',
        [a.id, a.siteId, kind, now],
      )
    ).rows[0].seq;
    if (!alarm) continue;
    const body = JSON.stringify(webhookBody(seq, kind, now, alarm));
    for (const hook of hooks)
      await c.query(
        `INSERT INTO webhook_deliveries (id, webhook_id, event, alarm_id, body, state, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)`,
        [newId('whd'), hook, `alarm.${kind}`, a.id, body, now],
      );
  }
}

/** A transaction whose recorded alarm events are written at its end. */
const recording = <T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> =>
  transaction(pool, async (c) => {
    try {
      const out = await fn(c);
      await flush(c);
      return out;
    } finally {
      pending.delete(c);
    }
  });

/** Raises unless one is open already; records the event when it did. */
async function raiseOne(
  c: Queryable,
  row: { id: string; siteId: string; severity: Severity } & Record<string, unknown>,
  now: number,
): Promise<number> {
  if (((await run(c, RAISE, row)).rowCount ?? 0) === 0) return 0;
  await record(c, [row], 'raised', now);
  return 1;
}

/** Alarm evaluation for the ingestion transaction, and the repository services see. */
export function pgAlarms(db: PgHandle): {
  evaluateMetric: (
    c: PoolClient,
    metricPk: number,
    fresh: readonly (readonly [number, number])[],
    receivedAt: number,
  ) => Promise<void>;
  /** Ends the ingestion transaction's alarm changes: writes their events (call last before COMMIT). */
  flushEvents: (c: PoolClient) => Promise<void>;
  /** Forgets them (the transaction rolled back). */
  discardEvents: (c: PoolClient) => void;
  repository: Repositories['alarms'];
} {
  const pool = db.$client;
  const rulesOfMetric = `SELECT r.id, r.condition, r.threshold, r.low, r.high, r.clear_threshold AS "clearThreshold",
       r.for_seconds AS "forSeconds", r.no_data_minutes AS "noDataMinutes", r.severity
     FROM alarm_rules r WHERE r.enabled AND r.id IN (
       SELECT id FROM alarm_rules WHERE metric_pk = $1
       UNION ALL
       SELECT r2.id FROM metrics m JOIN devices d ON d.id = m.device_id
         JOIN alarm_rules r2 ON r2.site_id = m.site_id AND r2.device_type = d.type AND r2.metric_key = m.key
       WHERE m.pk = $1)`;
  // Ingestion never moves the catalogue version, so reading it inside the ingestion transaction is safe.
  const cache = catalogueCache<MetricRule>(pool, 500_000);
  // The cache checked once per ingestion transaction, not once per metric of its batch: the
  // version cannot move under the transaction's metric locks (see above). Forgotten at its end.
  const synced = new WeakMap<PoolClient, boolean>();
  async function rulesFor(c: PoolClient, metricPk: number): Promise<MetricRule[]> {
    const read = async () => (await c.query<MetricRule>(rulesOfMetric, [metricPk])).rows;
    let fresh = synced.get(c);
    if (fresh === undefined) synced.set(c, (fresh = await cache.sync(c)));
    if (!fresh) return read();
    const key = String(metricPk);
    let rules = cache.get(key);
    if (!rules) cache.set(key, (rules = await read()));
    return rules;
  }

  async function evaluateMetric(
    c: PoolClient,
    metricPk: number,
    fresh: readonly (readonly [number, number])[],
    receivedAt: number,
  ): Promise<void> {
    const rules = await rulesFor(c, metricPk);
    if (rules.length === 0) return;
    const rows = (
      await c.query<{
        latestTs: number | null;
        ruleId: string | null;
        firing: boolean | null;
        pendingSince: number | null;
      }>(
        `SELECT m.latest_ts AS "latestTs", st.rule_id AS "ruleId", st.firing, st.pending_since AS "pendingSince"
         FROM metrics m LEFT JOIN alarm_states st ON st.metric_pk = m.pk WHERE m.pk = $1`,
        [metricPk],
      )
    ).rows;
    const lastTs = rows[0]?.latestTs ?? -Infinity;
    for (const rule of rules) {
      const key = { ruleId: rule.id, metricPk };
      if (rule.condition === 'no_data') {
        const newest = fresh[fresh.length - 1][0];
        if (newest >= noDataCutoff(rule, receivedAt))
          await record(
            c,
            await changedBy(c, CLEAR_OPEN, { ...key, at: newest, by: null, reason: 'Data arrived' }),
            'cleared',
            receivedAt,
          );
        continue;
      }
      const row = rows.find((r) => r.ruleId === rule.id);
      const firing = row?.firing === true;
      const pendingSince = row?.pendingSince ?? null;
      const { standing, transitions } = evaluate(rule, { firing, pendingSince, lastTs }, fresh);
      for (const t of transitions) {
        if (t.kind === 'raise') {
          const place = (
            await c.query<{ siteId: string; deviceId: string }>(
              'SELECT site_id AS "siteId", device_id AS "deviceId" FROM metrics WHERE pk = $1',
              [metricPk],
            )
          ).rows[0];
          await raiseOne(
            c,
            {
              ...key,
              ...place,
              id: newId('alm'),
              severity: rule.severity,
              summary: describeRule(rule),
              at: t.at,
              value: t.value,
            },
            receivedAt,
          );
        } else if (t.kind === 'seen')
          await run(c, SEEN[rule.condition], {
            ...key,
            at: t.at,
            peak: t.peak,
            mid: ((rule.low ?? 0) + (rule.high ?? 0)) / 2,
          });
        else
          await record(
            c,
            await changedBy(c, CLEAR_OPEN, {
              ...key,
              at: t.at,
              by: null,
              reason: `Cleared by the data (value ${t.value})`,
            }),
            'cleared',
            receivedAt,
          );
      }
      if (standing.firing !== firing || standing.pendingSince !== pendingSince)
        await c.query(
          `INSERT INTO alarm_states (rule_id, metric_pk, firing, pending_since) VALUES ($1, $2, $3, $4)
           ON CONFLICT (rule_id, metric_pk) DO UPDATE SET firing = excluded.firing, pending_since = excluded.pending_since`,
          [rule.id, metricPk, standing.firing, standing.pendingSince],
        );
    }
  }

  const ruleById = async (q: Queryable, id: string) =>
    (
      await q.query<AlarmRule>(
        `SELECT ${RULE_COLS} FROM alarm_rules r LEFT JOIN metrics m ON m.pk = r.metric_pk WHERE r.id = $1`,
        [id],
      )
    ).rows[0];
  const clearRule = `UPDATE alarms SET cleared_at = @at::int8, cleared_by = @by, clear_reason = @reason
    WHERE rule_id = @ruleId AND cleared_at IS NULL ${CHANGED}`;

  const repository: Repositories['alarms'] = {
    async eventsAfter(seq, limit) {
      const r = await pool.query<AlarmRow & { seq: number; kind: AlarmEventKind; at: number }>(
        `SELECT e.seq, e.kind, e.at, ${ALARM_COLS} FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id
           JOIN sites s ON s.id = a.site_id JOIN devices d ON d.id = a.device_id JOIN metrics m ON m.pk = a.metric_pk
           LEFT JOIN users u ON u.id = a.acknowledged_by
         WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`,
        [seq, limit],
      );
      return r.rows.map(({ seq, kind, at, ...alarm }) => ({ seq, kind, at, alarm }));
    },
    async eventBounds() {
      const r = await pool.query<{ first: number | null; last: number | null }>(
        'SELECT min(seq) AS first, max(seq) AS last FROM alarm_events',
      );
      return { first: r.rows[0].first ?? 0, last: r.rows[0].last ?? 0 };
    },
    async sweepNoData(now = Date.now()) {
      return recording(pool, async (c) => {
        const silent = await c.query<{
          ruleId: string;
          siteId: string;
          deviceId: string;
          metricPk: number;
          severity: Severity;
          noDataMinutes: number;
        }>(
          `WITH covered AS (
             SELECT r.id AS rule_id, m.pk AS metric_pk FROM alarm_rules r JOIN metrics m ON m.pk = r.metric_pk
             WHERE r.enabled AND r.condition = 'no_data'
             UNION ALL
             SELECT r.id, m.pk FROM alarm_rules r JOIN metrics m ON m.site_id = r.site_id AND m.key = r.metric_key
               JOIN devices d ON d.id = m.device_id AND d.type = r.device_type
             WHERE r.enabled AND r.condition = 'no_data' AND r.metric_pk IS NULL)
           SELECT r.id AS "ruleId", r.site_id AS "siteId", m.device_id AS "deviceId", m.pk AS "metricPk", r.severity,
             r.no_data_minutes AS "noDataMinutes"
           FROM covered cv JOIN alarm_rules r ON r.id = cv.rule_id JOIN metrics m ON m.pk = cv.metric_pk
           LEFT JOIN alarm_states st ON st.rule_id = r.id AND st.metric_pk = m.pk
           WHERE greatest(coalesce(m.latest_ts, 0), coalesce(st.restarted_at, 0), r.updated_at, m.created_at)
               < $1::int8 - r.no_data_minutes * 60000
             AND NOT EXISTS (SELECT 1 FROM alarms a WHERE a.rule_id = r.id AND a.metric_pk = m.pk AND a.cleared_at IS NULL)`,
          [now],
        );
        let raised = 0;
        for (const s of silent.rows) {
          raised += await raiseOne(
            c,
            {
              id: newId('alm'),
              ruleId: s.ruleId,
              siteId: s.siteId,
              deviceId: s.deviceId,
              metricPk: s.metricPk,
              severity: s.severity,
              summary: `no data for ${s.noDataMinutes} min`,
              at: now,
              value: null,
            },
            now,
          );
        }
        await c.query(
          `UPDATE alarms SET last_seen = $1 WHERE cleared_at IS NULL
             AND rule_id IN (SELECT id FROM alarm_rules WHERE condition = 'no_data')`,
          [now],
        );
        await c.query('DELETE FROM alarm_events WHERE at < $1', [now - EVENTS_KEPT_MS]);
        return raised;
      });
    },
    async findRule(id) {
      return ruleById(pool, id);
    },
    async rulesOfSite(siteId) {
      return (
        await pool.query<AlarmRule>(
          `SELECT ${RULE_COLS} FROM alarm_rules r LEFT JOIN metrics m ON m.pk = r.metric_pk WHERE r.site_id = $1
           ORDER BY r.created_at, r.id COLLATE "C"`,
          [siteId],
        )
      ).rows;
    },
    async rulesCovering(metricPk) {
      return (
        await pool.query<AlarmRule>(
          `SELECT ${RULE_COLS} FROM alarm_rules r LEFT JOIN metrics m ON m.pk = r.metric_pk
           WHERE r.metric_pk = $1 OR r.id IN (SELECT r2.id FROM metrics m2 JOIN devices d ON d.id = m2.device_id
             JOIN alarm_rules r2 ON r2.site_id = m2.site_id AND r2.device_type = d.type AND r2.metric_key = m2.key WHERE m2.pk = $1)
           ORDER BY r.created_at, r.id COLLATE "C"`,
          [metricPk],
        )
      ).rows;
    },
    async createRule(place: Place, input: AlarmRuleInput, actorId) {
      const at = Date.now();
      return recording(pool, async (c) => {
        const id = newId('alr');
        await run(
          c,
          `INSERT INTO alarm_rules (id, site_id, metric_pk, device_type, metric_key, condition, threshold, low, high,
             clear_threshold, for_seconds, no_data_minutes, severity, enabled, created_at, updated_at)
           VALUES (@id, @siteId, @metricPk::int4, @deviceType, @metricKey, @condition, @threshold::float8, @low::float8,
             @high::float8, @clearThreshold::float8, @forSeconds::int4, @noDataMinutes::int4, @severity, @enabled::boolean,
             @at::int8, @at::int8)`,
          { ...input, ...place, id, at },
        );
        const rule = (await ruleById(c, id))!;
        await writeAudit(
          c,
          {
            actorId,
            siteId: rule.siteId,
            entityType: 'alarm_rule',
            entityId: id,
            action: 'create',
            after: audited(rule),
          },
          at,
        );
        return rule;
      });
    },
    async updateRule(before, input, actorId) {
      const at = Date.now();
      return recording(pool, async (c) => {
        await run(
          c,
          `UPDATE alarm_rules SET condition = @condition, threshold = @threshold::float8, low = @low::float8,
             high = @high::float8, clear_threshold = @clearThreshold::float8, for_seconds = @forSeconds::int4,
             no_data_minutes = @noDataMinutes::int4, severity = @severity, enabled = @enabled::boolean, updated_at = @at::int8
           WHERE id = @id`,
          { ...input, id: before.id, at },
        );
        const after = (await ruleById(c, before.id))!;
        const spec = (r: AlarmRule) =>
          JSON.stringify([r.condition, r.threshold, r.low, r.high, r.clearThreshold, r.forSeconds, r.noDataMinutes]);
        if (spec(before) !== spec(after) || (before.enabled && !after.enabled)) {
          const reason = after.enabled ? 'Rule changed' : 'Rule disabled';
          await record(c, await changedBy(c, clearRule, { ruleId: before.id, at, by: actorId, reason }), 'cleared', at);
          await c.query('DELETE FROM alarm_states WHERE rule_id = $1', [before.id]);
        } else if (before.severity !== after.severity) {
          const changed = await c.query<Changed>(
            `UPDATE alarms SET severity = $1 WHERE rule_id = $2 AND cleared_at IS NULL ${CHANGED}`,
            [after.severity, before.id],
          );
          await record(c, changed.rows, 'updated', at);
        }
        await writeAudit(
          c,
          {
            actorId,
            siteId: after.siteId,
            entityType: 'alarm_rule',
            entityId: before.id,
            action: 'update',
            before: audited(before),
            after: audited(after),
          },
          at,
        );
        return after;
      });
    },
    async deleteRule(rule, actorId) {
      const at = Date.now();
      await recording(pool, async (c) => {
        await record(
          c,
          await changedBy(c, clearRule, { ruleId: rule.id, at, by: actorId, reason: 'Rule deleted' }),
          'cleared',
          at,
        );
        await c.query('DELETE FROM alarm_rules WHERE id = $1', [rule.id]);
        await writeAudit(
          c,
          {
            actorId,
            siteId: rule.siteId,
            entityType: 'alarm_rule',
            entityId: rule.id,
            action: 'delete',
            before: audited(rule),
          },
          at,
        );
      });
    },
    async findAlarm(id) {
      return (await pool.query<AlarmRow>(`SELECT ${ALARM_COLS} ${ALARM_FROM} WHERE a.id = $1`, [id])).rows[0];
    },
    async listAlarms(filter, limit, after, order = 'recent') {
      const where: string[] = [];
      const args: Record<string, unknown> = { limit };
      if (filter.siteIds !== null) {
        where.push('a.site_id = ANY(@siteIds::text[])');
        args.siteIds = filter.siteIds;
      }
      const add = (cond: string, name: string, value: string | number | undefined) => {
        if (value === undefined) return;
        where.push(cond);
        args[name] = value;
      };
      add('a.site_id = @siteId', 'siteId', filter.siteId);
      add('a.device_id = @deviceId', 'deviceId', filter.deviceId);
      add('a.severity = @severity', 'severity', filter.severity);
      if (filter.state) where.push(STATE_SQL[filter.state]);
      add('a.raised_at >= @from::int8', 'from', filter.from);
      add('a.raised_at < @to::int8', 'to', filter.to);
      if (after) {
        where.push('(a.raised_at < @afterAt::int8 OR (a.raised_at = @afterAt::int8 AND a.id COLLATE "C" < @afterId))');
        [args.afterAt, args.afterId] = after;
      }
      const orderBy =
        order === 'recent'
          ? 'a.raised_at DESC, a.id COLLATE "C" DESC'
          : `(a.cleared_at IS NOT NULL), (a.acknowledged_at IS NOT NULL), ${SEVERITY_RANK}, a.raised_at DESC, a.id COLLATE "C" DESC`;
      const sql = `SELECT ${ALARM_COLS} ${ALARM_FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${orderBy} LIMIT @limit::int4`;
      return (await pool.query<AlarmRow>(named(sql, args))).rows;
    },
    async countActive(siteIds) {
      const r = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alarms a WHERE a.cleared_at IS NULL AND a.acknowledged_at IS NULL
           AND ($1::text[] IS NULL OR a.site_id = ANY($1::text[]))`,
        [siteIds],
      );
      return r.rows[0].n;
    },
    async countActiveBySite(siteIds) {
      const r = await pool.query<{ siteId: string; n: number }>(
        `SELECT a.site_id AS "siteId", count(*)::int AS n FROM alarms a WHERE a.cleared_at IS NULL AND a.acknowledged_at IS NULL
           AND ($1::text[] IS NULL OR a.site_id = ANY($1::text[])) GROUP BY a.site_id`,
        [siteIds],
      );
      return new Map(r.rows.map((x) => [x.siteId, x.n]));
    },
    async acknowledge(id, by, comment) {
      const at = Date.now();
      return recording(pool, async (c) => {
        const changed = await c.query<Changed>(
          `UPDATE alarms SET acknowledged_by = $1, acknowledged_at = $2, ack_comment = $3 WHERE id = $4 AND acknowledged_at IS NULL
           ${CHANGED}`,
          [by, at, comment, id],
        );
        await record(c, changed.rows, 'acknowledged', at);
        return changed.rowCount === 1;
      });
    },
    async clear(id, by, reason) {
      const at = Date.now();
      return recording(pool, async (c) => {
        const r = await c.query<Changed & { ruleId: string | null; metricPk: number }>(
          `UPDATE alarms SET cleared_at = $1, cleared_by = $2, clear_reason = $3 WHERE id = $4 AND cleared_at IS NULL
           RETURNING id, site_id AS "siteId", severity, rule_id AS "ruleId", metric_pk AS "metricPk"`,
          [at, by, reason, id],
        );
        if (r.rowCount === 0) return false;
        const a = r.rows[0];
        await record(c, [a], 'cleared', at);
        // A hand clear starts the rule over for that metric.
        if (a.ruleId !== null)
          await c.query(
            `INSERT INTO alarm_states (rule_id, metric_pk, firing, pending_since, restarted_at) VALUES ($1, $2, false, NULL, $3)
             ON CONFLICT (rule_id, metric_pk) DO UPDATE SET firing = false, pending_since = NULL, restarted_at = excluded.restarted_at`,
            [a.ruleId, a.metricPk, at],
          );
        return true;
      });
    },
  };
  return {
    evaluateMetric,
    async flushEvents(c) {
      synced.delete(c);
      await flush(c);
    },
    discardEvents(c) {
      synced.delete(c);
      pending.delete(c);
    },
    repository,
  };
}
