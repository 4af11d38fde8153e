// The window and aggregation of a page's charts (a device's, a subscription's): kept in the address
// bar by the page script, so a reload or a shared link shows the same; the page selects them.
import Type, { type Static } from 'typebox';
import { AGGREGATIONS } from '../../timeseries/aggregate.js';

export const RANGES = ['1h', '24h', '7d', '30d', 'custom'] as const;

export const ChartQuery = Type.Object({
  range: Type.Optional(Type.Enum([...RANGES])),
  agg: Type.Optional(Type.Enum(['default', ...AGGREGATIONS])),
  from: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
  to: Type.Optional(Type.String({ format: 'date-time', maxLength: 64 })),
});

/** What the page's controls start from: the query's choice, else the last 24 hours at each metric's default. */
export function chartChoice(query: Static<typeof ChartQuery>) {
  return {
    chart: {
      range: query.range ?? '24h',
      agg: query.agg ?? 'default',
      from: query.from ?? '',
      to: query.to ?? '',
    },
    ranges: RANGES,
    aggregations: ['default', ...AGGREGATIONS],
  };
}
