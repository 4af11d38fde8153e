import Type from 'typebox';

/**
 * A telemetry message. The schema only asks for an object or a list; the telemetry service checks
 * the shape (services/telemetry-body.ts) for every transport, where a union schema's errors would
 * name every branch for one wrong value.
 */
export const TelemetryBody = Type.Unsafe<unknown>({
  type: ['object', 'array'],
  items: { type: 'object', description: 'A sample' },
  description:
    'A sample `{"ts": <epoch ms or ISO 8601 with a zone>, "values": {"<metric key>": <number>, ...}}` (`ts` absent: the time of receipt), ' +
    'a list of up to 10,000 samples, or bare values `{"<metric key>": <number>, ...}` stamped on receipt.',
  examples: [
    { ts: '2026-01-31T12:00:00Z', values: { power: 4.2, energy: 1234.5 } },
    [{ ts: 1769860800000, values: { power: 4.2 } }],
    { power: 4.2 },
  ],
});
