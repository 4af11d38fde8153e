// Alarm rules, where each (rule, metric) stands, and the alarms they raise. Evaluation runs inside the
// ingestion transaction (readings.ts calls `evaluateMetric`), so a reading and what it does to an
// alarm commit together; the open-alarm unique index makes a second process's raise a no-op.
import { describeRule, evaluate, noDataCutoff, type RuleSpec, type Severity } from '../../alarms/evaluate.js';
import { webhookBody, type AlarmEventKind, type AlarmFacts } from '../../alarms/view.js';
import type { Db } from '../client.js';
import { newId } from '../ids.js';
import type { AuditEntry } from './audit.js';
import { catalogueCache } from './catalogue-cache.js';

export interface AlarmRuleInput extends RuleSpec {
  severity: Severity;
  enabled: boolean;
}

/** A rule on one metric (`metricId`), or on a metric key of a device type across its site. */
export interface AlarmRule extends AlarmRuleInput {
  id: string;
  siteId: string;
  metricPk: number | null;
  metricId: string | null;
  deviceType: string | null;
  metricKey: string | null;
  createdAt: number;
  updatedAt: number;
}

export type AlarmRow = AlarmFacts;

export type AlarmState = 'active' | 'acknowledged' | 'cleared' | 'open';

export interface AlarmFilter {
  /** null: every site (admins); otherwise only these. */
  siteIds: string[] | null;
  siteId?: string;
  deviceId?: string;
  severity?: Severity;
  state?: AlarmState;
  from?: number;
  to?: number;
}

const RULE_COLS = `r.id, r.site_id AS siteId, r.metric_pk AS metricPk, m.id AS metricId, r.device_type AS deviceType,
  r.metric_key AS metricKey, r.condition, r.threshold, r.low, r.high, r.clear_threshold AS clearThreshold,
  r.for_seconds AS forSeconds, r.no_data_minutes AS noDataMinutes, r.severity, r.enabled, r.created_at AS createdAt,
  r.updated_at AS updatedAt`;

const ALARM_COLS = `a.id, a.rule_id AS ruleId, a.site_id AS siteId, s.name AS siteName, a.device_id AS deviceId,
  d.name AS deviceName, m.id AS metricId, m.name AS metricName, m.unit AS metricUnit, a.severity, a.summary,
  a.raised_at AS raisedAt, a.last_seen AS lastSeen, a.peak_value AS peakValue, a.acknowledged_by AS acknowledgedBy,
  u.name AS acknowledgedByName, a.acknowledged_at AS acknowledgedAt, a.ack_comment AS ackComment,
  a.cleared_at AS clearedAt, a.cleared_by AS clearedBy, a.clear_reason AS clearReason`;
const ALARM_FROM = `FROM alarms a JOIN sites s ON s.id = a.site_id JOIN devices d ON d.id = a.device_id
  JOIN metrics m ON m.pk = a.metric_pk LEFT JOIN users u ON u.id = a.acknowledged_by`;

const STATE_SQL: Record<AlarmState, string> = {
  active: 'a.cleared_at IS NULL AND a.acknowledged_at IS NULL',
  acknowledged: 'a.cleared_at IS NULL AND a.acknowledged_at IS NOT NULL',
  cleared: 'a.cleared_at IS NOT NULL',
  // Still needs someone: not cleared, or cleared by the data before anyone acknowledged it.
  open: '(a.cleared_at IS NULL OR a.acknowledged_at IS NULL)',
};
const SEVERITY_RANK = "CASE a.severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'minor' THEN 2 ELSE 3 END";

/** Long enough for a stream to resume after a night offline; the outbox keeps its own copies. */
const EVENTS_KEPT_MS = 24 * 60 * 60 * 1000;

type MetricRule = RuleSpec & { id: string; severity: Severity };
type RuleRow = Omit<AlarmRule, 'enabled'> & { enabled: number };
const toRule = (r: RuleRow): AlarmRule => ({ ...r, enabled: r.enabled === 1 });

/** The fields of a rule as an audit row records them. */
const audited = (r: AlarmRule) => {
  const { createdAt: _c, updatedAt: _u, metricPk: _p, ...rest } = r;
  return rest;
};

export function alarmsRepository(db: Db) {
  const c = db.$client;
  // ---- events and the webhook outbox (written in the transaction of the change they describe) ----
  const alarmById = c.prepare<[string], AlarmRow>(`SELECT ${ALARM_COLS} ${ALARM_FROM} WHERE a.id = ?`);
  const insertEvent = c.prepare('INSERT INTO alarm_events (alarm_id, site_id, kind, at) VALUES (?, ?, ?, ?)');
  const hooksFor = c
    .prepare<[string, string], string>(
      `SELECT id FROM webhooks WHERE site_id = ? AND enabled = 1
         AND instr(',' || severities || ',', ',' || ? || ',') > 0`,
    )
    .pluck(true);
  const enqueue = c.prepare(
    `INSERT INTO webhook_deliveries (id, webhook_id, event, alarm_id, body, state, attempts, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
  );
  type Changed = { id: string; siteId: string; severity: Severity };
  /** One event per changed alarm, and a delivery for each of its site's webhooks that wants its severity. */
  function record(changed: Changed[], kind: AlarmEventKind, now: number) {
    for (const a of changed) {
      const seq = Number(insertEvent.run(a.id, a.siteId, kind, now).lastInsertRowid);
      const hooks = hooksFor.all(a.siteId, a.severity);
      if (hooks.length === 0) continue;
      const body = JSON.stringify(webhookBody(seq, kind, now, alarmById.get(a.id)!));
      for (const hook of hooks) enqueue.run(newId('whd'), hook, `alarm.${kind}`, a.id, body, now, now);
    }
  }
  const CHANGED = 'RETURNING id, site_id AS siteId, severity';
  // ---- evaluation (synchronous: called inside the ingestion transaction) ----
  // The enabled rules that apply to a metric, cached while the catalogue version stands: the
  // triggers of the custom alarms migration move it on any rule change, and devices and metrics
  // already move it (a site-wide rule's reach follows them). Ingestion never moves the version, so
  // reading it inside the ingestion transaction is safe (catalogue-cache.ts).
  const rulesOfMetric = c.prepare<[{ p: number }], MetricRule>(
    `SELECT r.id, r.condition, r.threshold, r.low, r.high, r.clear_threshold AS clearThreshold,
       r.for_seconds AS forSeconds, r.no_data_minutes AS noDataMinutes, r.severity
     FROM alarm_rules r WHERE r.enabled = 1 AND r.id IN (
       SELECT id FROM alarm_rules WHERE metric_pk = @p
       UNION ALL
       SELECT r2.id FROM metrics m JOIN devices d ON d.id = m.device_id
         JOIN alarm_rules r2 ON r2.site_id = m.site_id AND r2.device_type = d.type AND r2.metric_key = m.key
       WHERE m.pk = @p)`,
  );
  const cache = catalogueCache<MetricRule>(db, 500_000);
  function rulesFor(metricPk: number): MetricRule[] {
    if (!cache.sync()) return rulesOfMetric.all({ p: metricPk });
    const key = String(metricPk);
    let rules = cache.get(key);
    if (!rules) cache.set(key, (rules = rulesOfMetric.all({ p: metricPk })));
    return rules;
  }
  // The metric's newest reading before this batch (the last evaluated time) and its standings.
  const standingsOf = c.prepare<
    [number],
    { latestTs: number | null; ruleId: string | null; firing: number | null; pendingSince: number | null }
  >(
    `SELECT m.latest_ts AS latestTs, st.rule_id AS ruleId, st.firing, st.pending_since AS pendingSince
     FROM metrics m LEFT JOIN alarm_states st ON st.metric_pk = m.pk WHERE m.pk = ?`,
  );
  const putState = c.prepare(
    `INSERT INTO alarm_states (rule_id, metric_pk, firing, pending_since) VALUES (?, ?, ?, ?)
     ON CONFLICT (rule_id, metric_pk) DO UPDATE SET firing = excluded.firing, pending_since = excluded.pending_since`,
  );
  const placeOf = c.prepare<[number], { siteId: string; deviceId: string }>(
    'SELECT site_id AS siteId, device_id AS deviceId FROM metrics WHERE pk = ?',
  );
  const raise = c.prepare(
    `INSERT INTO alarms (id, rule_id, site_id, device_id, metric_pk, severity, summary, raised_at, last_seen, peak_value)
     VALUES (@id, @ruleId, @siteId, @deviceId, @metricPk, @severity, @summary, @at, @at, @value)
     ON CONFLICT (rule_id, metric_pk) WHERE cleared_at IS NULL DO NOTHING`,
  );
  /** Raises unless one is open already; records the event when it did. */
  function raiseOne(row: { id: string; siteId: string; severity: Severity } & Record<string, unknown>, now: number) {
    if (raise.run(row).changes === 0) return 0;
    record([row], 'raised', now);
    return 1;
  }
  const seenSql = (peak: string) =>
    c.prepare(
      `UPDATE alarms SET last_seen = max(last_seen, @at), peak_value = ${peak}
       WHERE rule_id = @ruleId AND metric_pk = @metricPk AND cleared_at IS NULL`,
    );
  const seen = {
    above: seenSql('max(coalesce(peak_value, @peak), @peak)'),
    below: seenSql('min(coalesce(peak_value, @peak), @peak)'),
    outside: seenSql(
      'CASE WHEN peak_value IS NULL OR abs(@peak - @mid) > abs(peak_value - @mid) THEN @peak ELSE peak_value END',
    ),
  };
  const clearOpen = c.prepare<[Record<string, unknown>], Changed>(
    `UPDATE alarms SET cleared_at = @at, cleared_by = @by, clear_reason = @reason
     WHERE rule_id = @ruleId AND metric_pk = @metricPk AND cleared_at IS NULL ${CHANGED}`,
  );

  function evaluateMetric(metricPk: number, fresh: readonly (readonly [number, number])[], receivedAt: number): void {
    const rules = rulesFor(metricPk);
    if (rules.length === 0) return;
    const rows = standingsOf.all(metricPk);
    const lastTs = rows[0]?.latestTs ?? -Infinity;
    for (const rule of rules) {
      const key = { ruleId: rule.id, metricPk };
      if (rule.condition === 'no_data') {
        // Fresh data clears it; a reading older than the silence it ended does not.
        const newest = fresh[fresh.length - 1][0];
        if (newest >= noDataCutoff(rule, receivedAt))
          record(clearOpen.all({ ...key, at: newest, by: null, reason: 'Data arrived' }), 'cleared', receivedAt);
        continue;
      }
      const row = rows.find((r) => r.ruleId === rule.id);
      const firing = row?.firing === 1;
      const pendingSince = row?.pendingSince ?? null;
      const { standing, transitions } = evaluate(rule, { firing, pendingSince, lastTs }, fresh);
      for (const t of transitions) {
        if (t.kind === 'raise') {
          const place = placeOf.get(metricPk)!;
          raiseOne(
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
          seen[rule.condition].run({ ...key, at: t.at, peak: t.peak, mid: ((rule.low ?? 0) + (rule.high ?? 0)) / 2 });
        else
          record(
            clearOpen.all({ ...key, at: t.at, by: null, reason: `Cleared by the data (value ${t.value})` }),
            'cleared',
            receivedAt,
          );
      }
      // Only a transition writes: most readings leave a rule where it was.
      if (standing.firing !== firing || standing.pendingSince !== pendingSince)
        putState.run(rule.id, metricPk, standing.firing ? 1 : 0, standing.pendingSince);
    }
  }

  // ---- no_data sweep ----
  // A metric is silent when nothing newer than N minutes came since the later of its newest reading,
  // the rule's last change, the metric's creation and a hand clear (alarm_states.restarted_at).
  const silent = c.prepare<
    [{ p: number }],
    { ruleId: string; siteId: string; deviceId: string; metricPk: number; severity: Severity; noDataMinutes: number }
  >(
    `WITH covered AS (
       SELECT r.id AS ruleId, m.pk AS metricPk FROM alarm_rules r JOIN metrics m ON m.pk = r.metric_pk
       WHERE r.enabled = 1 AND r.condition = 'no_data'
       UNION ALL
       SELECT r.id, m.pk FROM alarm_rules r JOIN metrics m ON m.site_id = r.site_id AND m.key = r.metric_key
         JOIN devices d ON d.id = m.device_id AND d.type = r.device_type
       WHERE r.enabled = 1 AND r.condition = 'no_data' AND r.metric_pk IS NULL)
     SELECT r.id AS ruleId, r.site_id AS siteId, m.device_id AS deviceId, m.pk AS metricPk, r.severity,
       r.no_data_minutes AS noDataMinutes
     FROM covered cv JOIN alarm_rules r ON r.id = cv.ruleId JOIN metrics m ON m.pk = cv.metricPk
     LEFT JOIN alarm_states st ON st.rule_id = r.id AND st.metric_pk = m.pk
     WHERE max(coalesce(m.latest_ts, 0), coalesce(st.restarted_at, 0), r.updated_at, m.created_at) < @p - r.no_data_minutes * 60000
       AND NOT EXISTS (SELECT 1 FROM alarms a WHERE a.rule_id = r.id AND a.metric_pk = m.pk AND a.cleared_at IS NULL)`,
  );
  const pruneEvents = c.prepare('DELETE FROM alarm_events WHERE at < ?');
  // An open no_data alarm is still seen at every sweep until data clears it.
  const stillSilent = c.prepare(
    `UPDATE alarms SET last_seen = ? WHERE cleared_at IS NULL AND rule_id IN (SELECT id FROM alarm_rules WHERE condition = 'no_data')`,
  );
  const sweepTx = c.transaction((now: number) => {
    let raised = 0;
    for (const s of silent.all({ p: now })) {
      raised += raiseOne(
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
    stillSilent.run(now);
    pruneEvents.run(now - EVENTS_KEPT_MS);
    return raised;
  });

  // ---- rules ----
  const ruleById = c.prepare<[string], RuleRow>(
    `SELECT ${RULE_COLS} FROM alarm_rules r LEFT JOIN metrics m ON m.pk = r.metric_pk WHERE r.id = ?`,
  );
  const rulesOfSite = c.prepare<[string], RuleRow>(
    `SELECT ${RULE_COLS} FROM alarm_rules r LEFT JOIN metrics m ON m.pk = r.metric_pk WHERE r.site_id = ? ORDER BY r.created_at, r.id`,
  );
  const rulesCovering = c.prepare<[{ p: number }], RuleRow>(
    `SELECT ${RULE_COLS} FROM alarm_rules r LEFT JOIN metrics m ON m.pk = r.metric_pk
     WHERE r.metric_pk = @p OR r.id IN (SELECT r2.id FROM metrics m2 JOIN devices d ON d.id = m2.device_id
       JOIN alarm_rules r2 ON r2.site_id = m2.site_id AND r2.device_type = d.type AND r2.metric_key = m2.key WHERE m2.pk = @p)
     ORDER BY r.created_at, r.id`,
  );
  const insertRule = c.prepare(
    `INSERT INTO alarm_rules (id, site_id, metric_pk, device_type, metric_key, condition, threshold, low, high,
       clear_threshold, for_seconds, no_data_minutes, severity, enabled, created_at, updated_at)
     VALUES (@id, @siteId, @metricPk, @deviceType, @metricKey, @condition, @threshold, @low, @high, @clearThreshold,
       @forSeconds, @noDataMinutes, @severity, @enabled, @at, @at)`,
  );
  const updateRule = c.prepare(
    `UPDATE alarm_rules SET condition = @condition, threshold = @threshold, low = @low, high = @high,
       clear_threshold = @clearThreshold, for_seconds = @forSeconds, no_data_minutes = @noDataMinutes,
       severity = @severity, enabled = @enabled, updated_at = @at WHERE id = @id`,
  );
  const deleteRule = c.prepare('DELETE FROM alarm_rules WHERE id = ?');
  const clearRule = c.prepare<[Record<string, unknown>], Changed>(
    `UPDATE alarms SET cleared_at = @at, cleared_by = @by, clear_reason = @reason WHERE rule_id = @ruleId AND cleared_at IS NULL ${CHANGED}`,
  );
  const resetStates = c.prepare('DELETE FROM alarm_states WHERE rule_id = ?');
  const setSeverity = c.prepare<[string, string], Changed>(
    `UPDATE alarms SET severity = ? WHERE rule_id = ? AND cleared_at IS NULL ${CHANGED}`,
  );
  const audit = (entry: AuditEntry, at: number) =>
    c
      .prepare(
        'INSERT INTO audit_log (at, actor_id, site_id, entity_type, entity_id, action, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        at,
        entry.actorId,
        entry.siteId,
        entry.entityType,
        entry.entityId,
        entry.action,
        entry.before === undefined ? null : JSON.stringify(entry.before),
        entry.after === undefined ? null : JSON.stringify(entry.after),
      );

  const createRuleTx = c.transaction(
    (
      place: { siteId: string; metricPk: number | null; deviceType: string | null; metricKey: string | null },
      input: AlarmRuleInput,
      actorId: string | null,
      at: number,
    ) => {
      const id = newId('alr');
      insertRule.run({ ...input, ...place, id, enabled: input.enabled ? 1 : 0, at });
      const rule = toRule(ruleById.get(id)!);
      audit(
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
    },
  );

  const updateRuleTx = c.transaction((before: AlarmRule, input: AlarmRuleInput, actorId: string | null, at: number) => {
    updateRule.run({ ...input, id: before.id, enabled: input.enabled ? 1 : 0, at });
    const after = toRule(ruleById.get(before.id)!);
    const spec = (r: AlarmRule) =>
      JSON.stringify([r.condition, r.threshold, r.low, r.high, r.clearThreshold, r.forSeconds, r.noDataMinutes]);
    // A new condition (or a disabled rule) starts over: what is open was raised by the old one.
    if (spec(before) !== spec(after) || (before.enabled && !after.enabled)) {
      const reason = after.enabled ? 'Rule changed' : 'Rule disabled';
      record(clearRule.all({ ruleId: before.id, at, by: actorId, reason }), 'cleared', at);
      resetStates.run(before.id);
    } else if (before.severity !== after.severity) record(setSeverity.all(after.severity, before.id), 'updated', at);
    audit(
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

  const deleteRuleTx = c.transaction((rule: AlarmRule, actorId: string | null, at: number) => {
    record(clearRule.all({ ruleId: rule.id, at, by: actorId, reason: 'Rule deleted' }), 'cleared', at);
    deleteRule.run(rule.id);
    audit(
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

  // ---- alarms ----
  const acknowledge = c.prepare<[string, number, string | null, string], Changed>(
    `UPDATE alarms SET acknowledged_by = ?, acknowledged_at = ?, ack_comment = ? WHERE id = ? AND acknowledged_at IS NULL ${CHANGED}`,
  );
  const acknowledgeTx = c.transaction((id: string, by: string, comment: string | null, at: number): boolean => {
    const changed = acknowledge.all(by, at, comment, id);
    record(changed, 'acknowledged', at);
    return changed.length === 1;
  });
  const clearOne = c.prepare<[number, string, string, string], Changed>(
    `UPDATE alarms SET cleared_at = ?, cleared_by = ?, clear_reason = ? WHERE id = ? AND cleared_at IS NULL ${CHANGED}`,
  );
  const ruleOfAlarm = c.prepare<[string], { ruleId: string | null; metricPk: number }>(
    'SELECT rule_id AS ruleId, metric_pk AS metricPk FROM alarms WHERE id = ?',
  );
  // A hand clear starts the rule over for that metric: a threshold must hold for its duration again,
  // a silence must last its N minutes again from now.
  const restart = c.prepare(
    `INSERT INTO alarm_states (rule_id, metric_pk, firing, pending_since, restarted_at) VALUES (@ruleId, @metricPk, 0, NULL, @at)
     ON CONFLICT (rule_id, metric_pk) DO UPDATE SET firing = 0, pending_since = NULL, restarted_at = excluded.restarted_at`,
  );
  const clearTx = c.transaction((id: string, by: string, reason: string, at: number): boolean => {
    const changed = clearOne.all(at, by, reason, id);
    if (changed.length === 0) return false;
    record(changed, 'cleared', at);
    const a = ruleOfAlarm.get(id)!;
    if (a.ruleId !== null) restart.run({ ruleId: a.ruleId, metricPk: a.metricPk, at });
    return true;
  });
  const activeCount = c.prepare<[{ p: string | null }], { n: number }>(
    `SELECT count(*) AS n FROM alarms a WHERE a.cleared_at IS NULL AND a.acknowledged_at IS NULL
       AND (@p IS NULL OR a.site_id IN (SELECT value FROM json_each(@p)))`,
  );
  const activeBySite = c.prepare<[{ p: string | null }], { siteId: string; n: number }>(
    `SELECT a.site_id AS siteId, count(*) AS n FROM alarms a WHERE a.cleared_at IS NULL AND a.acknowledged_at IS NULL
       AND (@p IS NULL OR a.site_id IN (SELECT value FROM json_each(@p))) GROUP BY a.site_id`,
  );

  const eventsAfter = c.prepare<[number, number], AlarmRow & { seq: number; kind: AlarmEventKind; at: number }>(
    `SELECT e.seq, e.kind, e.at, ${ALARM_COLS} FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id
       JOIN sites s ON s.id = a.site_id JOIN devices d ON d.id = a.device_id JOIN metrics m ON m.pk = a.metric_pk
       LEFT JOIN users u ON u.id = a.acknowledged_by
     WHERE e.seq > ? ORDER BY e.seq LIMIT ?`,
  );
  const lastEvent = c.prepare<[], number | null>('SELECT max(seq) FROM alarm_events').pluck(true);
  const firstEvent = c.prepare<[], number | null>('SELECT min(seq) FROM alarm_events').pluck(true);

  return {
    evaluateMetric,
    /** Alarm changes after `seq`, oldest first, each with the alarm as it is now. */
    async eventsAfter(seq: number, limit: number) {
      return eventsAfter.all(seq, limit).map(({ seq, kind, at, ...alarm }) => ({ seq, kind, at, alarm }));
    },
    /** The newest and oldest event kept (0 when none). */
    async eventBounds(): Promise<{ first: number; last: number }> {
      return { first: firstEvent.get() ?? 0, last: lastEvent.get() ?? 0 };
    },
    /** Raises no_data alarms for metrics silent past their rule's minutes; returns how many were raised. */
    async sweepNoData(now = Date.now()): Promise<number> {
      return sweepTx(now);
    },
    async findRule(id: string): Promise<AlarmRule | undefined> {
      const r = ruleById.get(id);
      return r && toRule(r);
    },
    async rulesOfSite(siteId: string): Promise<AlarmRule[]> {
      return rulesOfSite.all(siteId).map(toRule);
    },
    /** The rules on a metric and the site-wide rules whose device type and key cover it. */
    async rulesCovering(metricPk: number): Promise<AlarmRule[]> {
      return rulesCovering.all({ p: metricPk }).map(toRule);
    },
    async createRule(
      place: { siteId: string; metricPk: number | null; deviceType: string | null; metricKey: string | null },
      input: AlarmRuleInput,
      actorId: string | null,
    ): Promise<AlarmRule> {
      return createRuleTx(place, input, actorId, Date.now());
    },
    async updateRule(before: AlarmRule, input: AlarmRuleInput, actorId: string | null): Promise<AlarmRule> {
      return updateRuleTx(before, input, actorId, Date.now());
    },
    async deleteRule(rule: AlarmRule, actorId: string | null): Promise<void> {
      deleteRuleTx(rule, actorId, Date.now());
    },
    async findAlarm(id: string): Promise<AlarmRow | undefined> {
      return alarmById.get(id);
    },
    /** Newest raised first (keyset on raised_at, id), or by attention: open, most severe, newest. */
    async listAlarms(
      filter: AlarmFilter,
      limit: number,
      after?: [number, string],
      order: 'recent' | 'attention' = 'recent',
    ): Promise<AlarmRow[]> {
      const where: string[] = [];
      const args: Record<string, string | number> = { limit };
      if (filter.siteIds !== null) {
        where.push('a.site_id IN (SELECT value FROM json_each(@siteIds))');
        args.siteIds = JSON.stringify(filter.siteIds);
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
      add('a.raised_at >= @from', 'from', filter.from);
      add('a.raised_at < @to', 'to', filter.to);
      if (after) {
        where.push('(a.raised_at < @afterAt OR (a.raised_at = @afterAt AND a.id < @afterId))');
        [args.afterAt, args.afterId] = after;
      }
      const orderBy =
        order === 'recent'
          ? 'a.raised_at DESC, a.id DESC'
          : `(a.cleared_at IS NOT NULL), (a.acknowledged_at IS NOT NULL), ${SEVERITY_RANK}, a.raised_at DESC, a.id DESC`;
      const sql = `SELECT ${ALARM_COLS} ${ALARM_FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${orderBy} LIMIT @limit`;
      return c.prepare<[Record<string, string | number>], AlarmRow>(sql).all(args);
    },
    /** Active (open, unacknowledged) alarms on these sites (null: all). */
    async countActive(siteIds: string[] | null): Promise<number> {
      return activeCount.get({ p: siteIds === null ? null : JSON.stringify(siteIds) })!.n;
    },
    /** Active alarms per site on these sites (null: all); sites without any are absent. */
    async countActiveBySite(siteIds: string[] | null): Promise<Map<string, number>> {
      const rows = activeBySite.all({ p: siteIds === null ? null : JSON.stringify(siteIds) });
      return new Map(rows.map((r) => [r.siteId, r.n]));
    },
    /** False when it was acknowledged already. */
    async acknowledge(id: string, by: string, comment: string | null): Promise<boolean> {
      return acknowledgeTx(id, by, comment, Date.now());
    },
    /** False when it was cleared already. */
    async clear(id: string, by: string, reason: string): Promise<boolean> {
      return clearTx(id, by, reason, Date.now());
    },
  };
}

export type AlarmsRepository = ReturnType<typeof alarmsRepository>;
