import Type, { type Static } from 'typebox';
import { CONDITIONS, SEVERITIES } from '../alarms/evaluate.js';
import { DEVICE_TYPES } from '../domain/device-types.js';
import { Id, Nullable, PageQuery, Timestamp } from './common.js';

const Condition = Type.Union([
  Type.Literal(CONDITIONS[0]),
  Type.Literal(CONDITIONS[1]),
  Type.Literal(CONDITIONS[2]),
  Type.Literal(CONDITIONS[3]),
]);
export const Severity = Type.Union([
  Type.Literal(SEVERITIES[0]),
  Type.Literal(SEVERITIES[1]),
  Type.Literal(SEVERITIES[2]),
  Type.Literal(SEVERITIES[3]),
]);
const Num = Type.Number({ minimum: -1e15, maximum: 1e15 });

const ruleFields = {
  condition: Condition,
  threshold: Type.Optional(Num),
  low: Type.Optional(Num),
  high: Type.Optional(Num),
  clearThreshold: Type.Optional(
    Type.Number({
      minimum: -1e15,
      maximum: 1e15,
      description:
        'above/below: the value an open alarm clears at (hysteresis); default the threshold. outside: a margin inside both edges of the band (default 0)',
    }),
  ),
  forSeconds: Type.Optional(
    Type.Integer({
      format: 'int32',
      minimum: 0,
      maximum: 86_400,
      default: 0,
      description: 'How long the condition must hold',
    }),
  ),
  noDataMinutes: Type.Optional(
    Type.Integer({ format: 'int32', minimum: 1, maximum: 10_080, description: 'no_data: minutes of silence' }),
  ),
  severity: Severity,
  enabled: Type.Optional(Type.Boolean({ default: true })),
};

/** One rule of each shape: which numbers a condition takes is checked by the service, not the schema. */
const ruleExamples = [
  { condition: 'above', threshold: 90, clearThreshold: 85, forSeconds: 60, severity: 'major' },
  { condition: 'outside', low: 10, high: 90, severity: 'minor' },
  { condition: 'no_data', noDataMinutes: 15, severity: 'warning' },
];

export const CreateAlarmRuleBody = Type.Object(ruleFields, { additionalProperties: false, examples: ruleExamples });
export type CreateAlarmRuleBody = Static<typeof CreateAlarmRuleBody>;

export const CreateSiteAlarmRuleBody = Type.Object(
  {
    ...ruleFields,
    deviceType: Type.String({ enum: [...DEVICE_TYPES], description: 'A device type, e.g. battery' }),
    metricKey: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9_]*$' }),
  },
  {
    additionalProperties: false,
    examples: ruleExamples.map((rule) => ({ ...rule, deviceType: 'battery', metricKey: 'soc' })),
  },
);
export type CreateSiteAlarmRuleBody = Static<typeof CreateSiteAlarmRuleBody>;

/** Only what changes; null removes an optional number. */
export const UpdateAlarmRuleBody = Type.Object(
  {
    condition: Type.Optional(Condition),
    threshold: Type.Optional(Nullable(Num)),
    low: Type.Optional(Nullable(Num)),
    high: Type.Optional(Nullable(Num)),
    clearThreshold: Type.Optional(Nullable(Num)),
    forSeconds: Type.Optional(Type.Integer({ format: 'int32', minimum: 0, maximum: 86_400 })),
    noDataMinutes: Type.Optional(Nullable(Type.Integer({ format: 'int32', minimum: 1, maximum: 10_080 }))),
    severity: Type.Optional(Severity),
    enabled: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [{ threshold: 95, clearThreshold: 90 }, { severity: 'critical' }, { enabled: false }],
  },
);
export type UpdateAlarmRuleBody = Static<typeof UpdateAlarmRuleBody>;

export const AlarmRuleSchema = Type.Object({
  id: Id,
  siteId: Id,
  metricId: Nullable(Id),
  deviceType: Nullable(Type.String()),
  metricKey: Nullable(Type.String()),
  condition: Condition,
  threshold: Nullable(Type.Number()),
  low: Nullable(Type.Number()),
  high: Nullable(Type.Number()),
  clearThreshold: Nullable(Type.Number()),
  forSeconds: Type.Integer(),
  noDataMinutes: Nullable(Type.Integer()),
  severity: Severity,
  enabled: Type.Boolean(),
  summary: Type.String({ description: 'The rule in words, e.g. "below 10 (clears at 15) for 300 s"' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const AlarmRuleList = Type.Object({ items: Type.Array(AlarmRuleSchema) });
export const AlarmRuleParams = Type.Object({ ruleId: Id });
export const AlarmParams = Type.Object({ alarmId: Id });

const Named = Type.Object({ id: Id, name: Type.String() });
export const AlarmState = Type.Union([Type.Literal('active'), Type.Literal('acknowledged'), Type.Literal('cleared')]);

export const AlarmSchema = Type.Object({
  id: Id,
  ruleId: Nullable(Id),
  summary: Type.String({ description: 'The rule as it was when the alarm raised' }),
  site: Named,
  device: Named,
  metric: Type.Object({ id: Id, name: Type.String(), unit: Type.String() }),
  severity: Severity,
  state: AlarmState,
  raisedAt: Timestamp,
  lastSeen: Timestamp,
  peakValue: Nullable(Type.Number()),
  acknowledgedBy: Nullable(Type.Object({ id: Id, name: Nullable(Type.String()) })),
  acknowledgedAt: Nullable(Timestamp),
  ackComment: Nullable(Type.String()),
  clearedAt: Nullable(Timestamp),
  clearedBy: Nullable(Id),
  clearReason: Nullable(Type.String()),
});

export const AlarmListQuery = Type.Object(
  {
    ...PageQuery.properties,
    siteId: Type.Optional(Id),
    deviceId: Type.Optional(Id),
    severity: Type.Optional(Severity),
    state: Type.Optional(
      Type.Union(
        [Type.Literal('active'), Type.Literal('acknowledged'), Type.Literal('cleared'), Type.Literal('open')],
        {
          description: 'open: not cleared, or cleared but not yet acknowledged',
        },
      ),
    ),
    from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Raised at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Raised before' })),
  },
  { additionalProperties: false },
);
export type AlarmListQuery = Static<typeof AlarmListQuery>;

export const AcknowledgeBody = Type.Object(
  { comment: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
export const ClearBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }) },
  { additionalProperties: false },
);

/**
 * The rules page's form: the JSON body's fields plus `target`, "metric:<metricId>" for one metric or
 * "type:<deviceType>:<metricKey>" for every such device of the site.
 */
export const PageAlarmRuleBody = Type.Object(
  { target: Type.String({ minLength: 1, maxLength: 200 }), ...ruleFields },
  { additionalProperties: false },
);
export type PageAlarmRuleBody = Static<typeof PageAlarmRuleBody>;
/** The rule edit form: every field of a rule but its condition and place (an empty number removes it). */
export const PageEditRuleBody = Type.Object(
  { ...Type.Omit(UpdateAlarmRuleBody, ['condition']).properties },
  { additionalProperties: false },
);
export type PageEditRuleBody = Static<typeof PageEditRuleBody>;
export const EditRuleQuery = Type.Object({ device: Type.Optional(Id) });
export const PageRuleEnabledBody = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });
export const SiteRuleParams = Type.Object({ siteId: Id, ruleId: Id });
