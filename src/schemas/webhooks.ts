import Type, { type Static } from 'typebox';
import { Severity } from './alarms.js';
import { Id, Nullable, Timestamp } from './common.js';

const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'http or https; resolved and checked at every delivery',
});
const Secret = Type.String({
  minLength: 16,
  maxLength: 200,
  description: 'Signs each delivery (Sitewatt-Signature). Write-only: never returned.',
});
const Severities = Type.Array(Severity, {
  minItems: 1,
  maxItems: 4,
  description: 'The severities it is sent; default all',
});

export const CreateWebhookBody = Type.Object(
  {
    url: Url,
    secret: Secret,
    severities: Type.Optional(Severities),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    secret: Type.Optional(Secret),
    severities: Type.Optional(Severities),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateWebhookBody = Static<typeof UpdateWebhookBody>;

export const WebhookSchema = Type.Object({
  id: Id,
  siteId: Id,
  url: Type.String(),
  severities: Type.Array(Severity),
  enabled: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const WebhookList = Type.Object({ items: Type.Array(WebhookSchema) });
export const WebhookParams = Type.Object({ siteId: Id, webhookId: Id });

export const DeliveryList = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Id,
      event: Type.String({ description: 'e.g. alarm.raised' }),
      alarmId: Id,
      state: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
      createdAt: Timestamp,
      nextAttemptAt: Nullable(Timestamp),
      finishedAt: Nullable(Timestamp),
      attempts: Type.Array(
        Type.Object({
          at: Timestamp,
          ok: Type.Boolean(),
          statusCode: Nullable(Type.Integer()),
          error: Nullable(Type.String()),
          durationMs: Type.Integer(),
        }),
      ),
    }),
  ),
});

/** The webhooks page's form: severities as checkboxes (one value or several). */
export const PageWebhookBody = Type.Object(
  { url: Url, secret: Secret, severities: Type.Optional(Type.Union([Severity, Severities])) },
  { additionalProperties: false },
);
export type PageWebhookBody = Static<typeof PageWebhookBody>;
