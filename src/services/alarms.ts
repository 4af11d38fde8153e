// Alarm rules and alarms: who may see and change them follows the metric's site (policy.ts), on every
// surface. Evaluation itself runs in the readings' transaction (db/repositories/alarms.ts).
import { describeRule, ruleProblems, type RuleSpec } from '../alarms/evaluate.js';
import { alarmView } from '../alarms/view.js';
import type { AlarmRule, AlarmRuleInput } from '../db/repositories/alarms.js';
import type { Repositories } from '../db/repositories/index.js';
import { decodeCursor, toPage } from '../db/repositories/page.js';
import { errors, invalid } from '../errors.js';
import type {
  AlarmListQuery,
  CreateAlarmRuleBody,
  CreateSiteAlarmRuleBody,
  PageAlarmRuleBody,
  UpdateAlarmRuleBody,
} from '../schemas/alarms.js';
import { canManageDevices, requireManageDevices, requireSite, requireView, type Actor } from './policy.js';
import type { LiveHub } from './live.js';
import { iso } from './views.js';
import { isDeviceType } from '../domain/device-types.js';

const ruleNotFound = () => new errors.ALARM_RULE_NOT_FOUND();
const alarmNotFound = () => new errors.ALARM_NOT_FOUND();
const metricNotFound = () => new errors.METRIC_NOT_FOUND();
const siteNotFound = () => new errors.SITE_NOT_FOUND();

export const ruleView = (r: AlarmRule) => ({
  id: r.id,
  siteId: r.siteId,
  metricId: r.metricId,
  deviceType: r.deviceType,
  metricKey: r.metricKey,
  condition: r.condition,
  threshold: r.threshold,
  low: r.low,
  high: r.high,
  clearThreshold: r.clearThreshold,
  forSeconds: r.forSeconds,
  noDataMinutes: r.noDataMinutes,
  severity: r.severity,
  enabled: r.enabled,
  summary: describeRule(r),
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});
export type RuleView = ReturnType<typeof ruleView>;

type RuleFields = Partial<Omit<CreateAlarmRuleBody, 'condition' | 'severity'>> &
  Pick<AlarmRuleInput, 'condition' | 'severity'>;

/** The rule as stored, or 422 naming each field that does not fit its condition. */
function checked(
  body: { [K in keyof RuleFields]?: RuleFields[K] | null } & Pick<RuleFields, 'condition' | 'severity'>,
): AlarmRuleInput {
  const spec: RuleSpec = {
    condition: body.condition,
    threshold: body.threshold ?? null,
    low: body.low ?? null,
    high: body.high ?? null,
    clearThreshold: body.clearThreshold ?? null,
    forSeconds: body.forSeconds ?? 0,
    noDataMinutes: body.noDataMinutes ?? null,
  };
  const problems = ruleProblemsOf(spec);
  if (problems.length > 0) throw invalid(problems, 'The rule does not fit its condition');
  return { ...spec, severity: body.severity, enabled: body.enabled ?? true };
}

const ruleProblemsOf = (spec: RuleSpec) => ruleProblems(spec).map((p) => ({ path: `/${p.field}`, message: p.message }));

const visibleSites = (actor: Actor) => (actor.isAdmin ? null : [...actor.roles.keys()]);

export function alarmsService(repos: Repositories, hub: LiveHub) {
  /** What a rule watches, in words: "Main Battery / State of charge" or "Every battery's soc". */
  async function targetOf(r: AlarmRule) {
    if (!r.metricId) return `Every ${r.deviceType}'s ${r.metricKey}`;
    const metric = await repos.metrics.findById(r.metricId);
    const device = metric && (await repos.devices.findById(metric.deviceId));
    return metric && device ? `${device.name} / ${metric.name}` : r.metricId;
  }
  async function loadRule(actor: Actor, ruleId: string) {
    const rule = await repos.alarms.findRule(ruleId);
    requireView(actor, rule?.siteId, ruleNotFound);
    return rule!;
  }
  async function loadAlarm(actor: Actor, alarmId: string) {
    const alarm = await repos.alarms.findAlarm(alarmId);
    requireView(actor, alarm?.siteId, alarmNotFound);
    return alarm!;
  }

  return {
    async createForMetric(actor: Actor, metricId: string, body: CreateAlarmRuleBody) {
      const metric = await repos.metrics.findById(metricId);
      requireManageDevices(actor, metric?.siteId, metricNotFound, 'manage alarm rules on this site');
      const place = { siteId: metric!.siteId, metricPk: metric!.pk, deviceType: null, metricKey: null };
      return ruleView(await repos.alarms.createRule(place, checked(body), actor.id));
    },

    async createForSite(actor: Actor, siteId: string, body: CreateSiteAlarmRuleBody) {
      await requireSite(actor, siteId, repos.sites.exists, siteNotFound);
      requireManageDevices(actor, siteId, siteNotFound, 'manage alarm rules on this site');
      const { deviceType, metricKey, ...fields } = body;
      const place = { siteId, metricPk: null, deviceType, metricKey };
      return ruleView(await repos.alarms.createRule(place, checked(fields), actor.id));
    },

    /** The rules that apply to a metric: its own and its site's for its device type and key. */
    async listForMetric(actor: Actor, metricId: string) {
      const metric = await repos.metrics.findById(metricId);
      requireView(actor, metric?.siteId, metricNotFound);
      return { items: (await repos.alarms.rulesCovering(metric!.pk)).map(ruleView) };
    },

    async listForSite(actor: Actor, siteId: string) {
      await requireSite(actor, siteId, repos.sites.exists, siteNotFound);
      return { items: (await repos.alarms.rulesOfSite(siteId)).map(ruleView) };
    },

    async getRule(actor: Actor, ruleId: string) {
      return ruleView(await loadRule(actor, ruleId));
    },

    async updateRule(actor: Actor, ruleId: string, patch: UpdateAlarmRuleBody) {
      const rule = await loadRule(actor, ruleId);
      requireManageDevices(actor, rule.siteId, ruleNotFound, 'manage alarm rules on this site');
      // A new condition starts from its own fields: the old condition's numbers do not carry over.
      const base = patch.condition && patch.condition !== rule.condition ? {} : rule;
      const merged = { ...base, condition: rule.condition, severity: rule.severity, enabled: rule.enabled, ...patch };
      const updated = await repos.alarms.updateRule(rule, checked(merged), actor.id);
      hub.alarmsChanged();
      return ruleView(updated);
    },

    async deleteRule(actor: Actor, ruleId: string) {
      const rule = await loadRule(actor, ruleId);
      requireManageDevices(actor, rule.siteId, ruleNotFound, 'manage alarm rules on this site');
      await repos.alarms.deleteRule(rule, actor.id);
      hub.alarmsChanged();
      return ruleView(rule);
    },

    async list(actor: Actor, query: AlarmListQuery) {
      if (query.siteId) requireView(actor, query.siteId, siteNotFound);
      if (query.deviceId) {
        const device = await repos.devices.findById(query.deviceId);
        requireView(actor, device?.siteId, () => new errors.DEVICE_NOT_FOUND());
      }
      const after = decodeCursor(query.cursor);
      if (after === null || (after && typeof after[0] !== 'number')) throw new errors.INVALID_CURSOR();
      const time = (s: string | undefined) => (s === undefined ? undefined : Date.parse(s));
      const rows = await repos.alarms.listAlarms(
        { ...query, siteIds: visibleSites(actor), from: time(query.from), to: time(query.to) },
        query.limit + 1,
        after as [number, string] | undefined,
      );
      const page = toPage(rows, query.limit, (a) => [a.raisedAt, a.id]);
      return { items: page.items.map(alarmView), nextCursor: page.nextCursor };
    },

    /**
     * The alarms page (the fleet, or one site): alarms that still need someone, active first and most
     * severe first, and what the actor may do with each.
     */
    async attention(actor: Actor, siteId?: string, limit = 200) {
      let site: { id: string; name: string } | null = null;
      if (siteId !== undefined) {
        await requireSite(actor, siteId, repos.sites.exists, siteNotFound);
        const found = (await repos.sites.findById(siteId))!;
        site = { id: found.id, name: found.name };
      }
      const rows = await repos.alarms.listAlarms(
        { siteIds: visibleSites(actor), siteId, state: 'open' },
        limit,
        undefined,
        'attention',
      );
      const alarms = rows.map((a) => ({ ...alarmView(a), canManage: canManageDevices(actor, a.siteId) }));
      return { site, alarms };
    },

    /** The navigation badge: open alarms nobody has acknowledged yet, on the actor's sites. */
    async activeCount(actor: Actor) {
      return repos.alarms.countActive(visibleSites(actor));
    },

    /** Active alarms per site the actor sees (the overview's table); sites without any are absent. */
    async activeBySite(actor: Actor) {
      return repos.alarms.countActiveBySite(visibleSites(actor));
    },

    /**
     * Technicians and admins acknowledge; viewers read only, as everywhere else: acknowledging tells
     * the team someone is on it, which is a technician's promise to make.
     */
    async acknowledge(actor: Actor, alarmId: string, comment?: string) {
      const alarm = await loadAlarm(actor, alarmId);
      requireManageDevices(actor, alarm.siteId, alarmNotFound, 'acknowledge alarms on this site');
      const text = comment?.trim() || null;
      if (!(await repos.alarms.acknowledge(alarmId, actor.id, text))) throw new errors.ALARM_ACKNOWLEDGED();
      hub.alarmsChanged();
      return alarmView((await repos.alarms.findAlarm(alarmId))!);
    },

    async clear(actor: Actor, alarmId: string, reason: string) {
      const alarm = await loadAlarm(actor, alarmId);
      requireManageDevices(actor, alarm.siteId, alarmNotFound, 'clear alarms on this site');
      if (!(await repos.alarms.clear(alarmId, actor.id, reason.trim()))) throw new errors.ALARM_CLEARED();
      hub.alarmsChanged();
      return alarmView((await repos.alarms.findAlarm(alarmId))!);
    },

    /** The site's rules page: its rules, what a new rule may target, and whether the actor may change them. */
    async sitePage(actor: Actor, siteId: string) {
      await requireSite(actor, siteId, repos.sites.exists, siteNotFound);
      const site = (await repos.sites.findById(siteId))!;
      const metrics = await repos.metrics.listBySite(siteId);
      const names = new Map(metrics.map((m) => [m.id, `${m.deviceName} / ${m.name}`]));
      const kinds = new Map<string, string>();
      for (const m of metrics) kinds.set(`type:${m.deviceType}:${m.key}`, `Every ${m.deviceType}'s ${m.key}`);
      const rules = (await repos.alarms.rulesOfSite(siteId)).map((r) => ({
        ...ruleView(r),
        target: r.metricId ? (names.get(r.metricId) ?? r.metricId) : `Every ${r.deviceType}'s ${r.metricKey}`,
      }));
      const targets = [
        ...[...kinds].map(([value, label]) => ({ value, label })),
        ...metrics.map((m) => ({ value: `metric:${m.id}`, label: names.get(m.id)! })),
      ];
      return { site: { id: site.id, name: site.name }, rules, targets, canManage: canManageDevices(actor, siteId) };
    },

    /** A rule from the rules page's form: `target` names one metric of this site or a device type's key. */
    async createFromPage(actor: Actor, siteId: string, body: PageAlarmRuleBody) {
      await requireSite(actor, siteId, repos.sites.exists, siteNotFound);
      requireManageDevices(actor, siteId, siteNotFound, 'manage alarm rules on this site');
      const { target, ...fields } = body;
      const [kind, a, b] = target.split(':');
      if (kind === 'metric' && a) {
        const metric = await repos.metrics.findById(a);
        if (metric?.siteId === siteId) return this.createForMetric(actor, a, fields);
      }
      if (kind === 'type' && a && b && isDeviceType(a) && /^[a-z][a-z0-9_]*$/.test(b) && b.length <= 64)
        return this.createForSite(actor, siteId, { ...fields, deviceType: a, metricKey: b });
      throw invalid([{ path: '/target', message: 'Choose a metric or a device type of this site' }]);
    },

    /** The rule's edit form: the rule, what it watches, its site; for those who may change it. */
    async ruleEditor(actor: Actor, ruleId: string) {
      const rule = await loadRule(actor, ruleId);
      requireManageDevices(actor, rule.siteId, ruleNotFound, 'manage alarm rules on this site');
      const site = (await repos.sites.findById(rule.siteId))!;
      return { rule: ruleView(rule), target: await targetOf(rule), site: { id: site.id, name: site.name } };
    },

    /** The device page's rules: every rule that covers one of its metrics, and whether the actor may edit them. */
    async deviceRules(actor: Actor, deviceId: string) {
      const device = await repos.devices.findById(deviceId);
      requireView(actor, device?.siteId, () => new errors.DEVICE_NOT_FOUND());
      const seen = new Map<string, RuleView & { target: string }>();
      for (const m of await repos.metrics.listByDevice(deviceId))
        for (const r of await repos.alarms.rulesCovering(m.pk))
          if (!seen.has(r.id)) seen.set(r.id, { ...ruleView(r), target: await targetOf(r) });
      return { rules: [...seen.values()], canManage: canManageDevices(actor, device!.siteId) };
    },

    /** Raises no_data alarms (the timer's work). */
    async sweepNoData(now = Date.now()) {
      const raised = await repos.alarms.sweepNoData(now);
      if (raised > 0) hub.alarmsChanged();
      return raised;
    },
  };
}

export type AlarmsService = ReturnType<typeof alarmsService>;
