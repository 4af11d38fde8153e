import Type from 'typebox';
import { Id, Timestamp } from './common.js';
import { MetricSchema } from './metrics.js';

const Name = Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' });
const MetricIds = Type.Array(Id, {
  minItems: 1,
  maxItems: 1000,
  description: '1 to 1,000 distinct metric ids from any sites you can see',
});

export const SubscriptionSummary = Type.Object({
  id: Id,
  name: Type.String(),
  metricCount: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const SubscriptionSchema = Type.Object({
  ...SubscriptionSummary.properties,
  metrics: Type.Array(Type.Object({ ...MetricSchema.properties, deviceName: Type.String(), siteName: Type.String() })),
  unavailable: Type.Array(Type.String(), { description: 'Metrics of sites you no longer have access to' }),
});

export const CreateSubscriptionBody = Type.Object(
  { name: Name, metricIds: MetricIds },
  { additionalProperties: false },
);
export const UpdateSubscriptionBody = Type.Object(
  { name: Type.Optional(Name), metricIds: Type.Optional(MetricIds) },
  { additionalProperties: false, minProperties: 1 },
);
export const SubscriptionParams = Type.Object({ subscriptionId: Id });
