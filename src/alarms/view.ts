// An alarm as the API, the live stream and webhooks show it: one shape for all three.
import type { Severity } from './evaluate.js';

/** An alarm as stored, with the names of where it is. */
export interface AlarmFacts {
  id: string;
  ruleId: string | null;
  siteId: string;
  siteName: string;
  deviceId: string;
  deviceName: string;
  metricId: string;
  metricName: string;
  metricUnit: string;
  severity: Severity;
  summary: string;
  raisedAt: number;
  lastSeen: number;
  peakValue: number | null;
  acknowledgedBy: string | null;
  acknowledgedByName: string | null;
  acknowledgedAt: number | null;
  ackComment: string | null;
  clearedAt: number | null;
  clearedBy: string | null;
  clearReason: string | null;
}

/** What happened to an alarm: the events of the live stream and of webhooks. */
export const ALARM_EVENTS = ['raised', 'acknowledged', 'cleared', 'updated'] as const;
export type AlarmEventKind = (typeof ALARM_EVENTS)[number];

const iso = (ms: number) => new Date(ms).toISOString();

export const stateOf = (a: AlarmFacts): 'active' | 'acknowledged' | 'cleared' =>
  a.clearedAt !== null ? 'cleared' : a.acknowledgedAt !== null ? 'acknowledged' : 'active';

export const alarmView = (a: AlarmFacts) => ({
  id: a.id,
  ruleId: a.ruleId,
  summary: a.summary,
  site: { id: a.siteId, name: a.siteName },
  device: { id: a.deviceId, name: a.deviceName },
  metric: { id: a.metricId, name: a.metricName, unit: a.metricUnit },
  severity: a.severity,
  state: stateOf(a),
  raisedAt: iso(a.raisedAt),
  lastSeen: iso(a.lastSeen),
  peakValue: a.peakValue,
  acknowledgedBy: a.acknowledgedBy === null ? null : { id: a.acknowledgedBy, name: a.acknowledgedByName },
  acknowledgedAt: a.acknowledgedAt === null ? null : iso(a.acknowledgedAt),
  ackComment: a.ackComment,
  clearedAt: a.clearedAt === null ? null : iso(a.clearedAt),
  clearedBy: a.clearedBy,
  clearReason: a.clearReason,
});
export type AlarmView = ReturnType<typeof alarmView>;

/** The JSON body of a webhook delivery (docs/alarms.md, "Webhooks"). */
export const webhookBody = (eventSeq: number, kind: AlarmEventKind, at: number, alarm: AlarmFacts) => ({
  id: `evt_${eventSeq}`,
  type: `alarm.${kind}`,
  createdAt: iso(at),
  alarm: alarmView(alarm),
});
