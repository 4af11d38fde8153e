import Type from 'typebox';
import { AGGREGATIONS } from '../timeseries/aggregate.js';
import { INTERVALS } from '../timeseries/interval.js';
import { Id, Nullable, Timestamp } from './common.js';

export const SeriesQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 64,
        description: 'Window start (ISO 8601); default: 24 hours before `to`',
      }),
    ),
    to: Type.Optional(
      Type.String({ format: 'date-time', maxLength: 64, description: 'Window end (ISO 8601); default: now' }),
    ),
    interval: Type.Optional(
      Type.Enum(['auto', ...INTERVALS], {
        default: 'auto',
        description: 'Bucket length; auto picks the smallest within maxPoints',
      }),
    ),
    agg: Type.Optional(
      Type.Enum([...AGGREGATIONS], { description: 'Default: avg for gauges, delta for counters (a drop is a reset)' }),
    ),
    tz: Type.Optional(
      Type.String({ maxLength: 64, description: "IANA zone for day, week and month buckets; default: the site's" }),
    ),
    maxPoints: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 10_000, default: 1000 })),
    format: Type.Optional(
      Type.Enum(['json', 'csv'], { description: 'csv: the same data as text/csv (or send Accept: text/csv)' }),
    ),
  },
  { additionalProperties: false },
);

export const SeriesSchema = Type.Object({
  metricId: Id,
  deviceId: Id,
  deviceName: Type.String(),
  siteId: Id,
  siteName: Type.String(),
  key: Type.String(),
  name: Type.String(),
  unit: Type.String(),
  kind: Type.String(),
  agg: Type.String({ description: 'Aggregation used for this series' }),
  decimals: Nullable(
    Type.Integer({
      description:
        "The metric's display precision: with agg avg, sum or delta the values are rounded to it; first, last, min and max are readings, exact",
    }),
  ),
  values: Type.Array(Nullable(Type.Number()), { description: 'One per timestamp; null where a bucket had no reading' }),
});

export const TimeSeriesSchema = Type.Object({
  from: Timestamp,
  to: Timestamp,
  interval: Type.String({ description: 'Interval used' }),
  tz: Type.String(),
  agg: Type.String({ description: 'Aggregation asked for, or "default" (per series)' }),
  timestamps: Type.Array(Timestamp, { description: 'Bucket starts, shared by every series' }),
  series: Type.Array(SeriesSchema),
  unavailable: Type.Array(Type.String(), { description: 'Metric ids of the subscription you can no longer see' }),
});

/** JSON or CSV: the OpenAPI document lists both media types. */
export const seriesResponse = {
  description: 'Aligned time series',
  content: {
    'application/json': { schema: TimeSeriesSchema },
    'text/csv': { schema: Type.String({ description: 'timestamp column, then one column per series' }) },
  },
};
