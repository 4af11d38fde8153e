import Type from 'typebox';

/** The most readings one POST /api/readings may carry: the batch is checked whole and stored in one transaction. */
export const MAX_BATCH = 10_000;

export const ReadingsBody = Type.Object(
  {
    readings: Type.Array(
      Type.Object(
        {
          metricId: Type.String({ minLength: 1, maxLength: 64 }),
          timestamp: Type.String({
            minLength: 1,
            maxLength: 40,
            description: 'ISO 8601 with a zone; at most 5 minutes in the future',
          }),
          value: Type.Number(),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_BATCH },
    ),
  },
  { additionalProperties: false },
);

export const IngestResult = Type.Object({
  stored: Type.Integer({ description: 'Readings written (a repeated metric+timestamp replaces the earlier value)' }),
});
