// JSON Schema → fast-check arbitraries, for the subset the served OpenAPI document uses (TypeBox
// output: object, array, string with length/pattern/format/enum, integer, number, boolean, null,
// anyOf, examples), plus a mutation mode for invalid input: wrong types, missing and extra fields, huge
// strings, hostile unicode. https://fast-check.dev/docs/core-blocks/arbitraries/
import fc from 'fast-check';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  default?: unknown;
  /** Valid by definition: where a schema only sketches a shape the server checks itself, these reach past its 422. */
  examples?: unknown[];
}

/** Values that exist in the world under test, so valid input reaches past the 404s. */
export interface Hints {
  ids: string[];
  /** Ids by the name of the field or parameter that takes them (siteId, metricId …). */
  byName: Record<string, string[]>;
  /**
   * Other strings the world accepts by field name, where the schema alone rarely gives one: a
   * webhook `url` on the allow-list (random text is almost never an http URL).
   */
  values?: Record<string, string[]>;
}

/**
 * A real id for the name (or any real id), sometimes any string the pattern allows. The first id of
 * a name is the world's main one and comes up most: what nests in a path (a site's webhooks and
 * members) lives under it.
 */
export function idArbitrary(hints: Hints, name: string, fallback: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const own = hints.byName[name] ?? hints.ids;
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(own[0]) },
    { weight: 3, arbitrary: fc.constantFrom(...own) },
    { weight: 1, arbitrary: fc.constantFrom(...hints.ids) },
    { weight: 1, arbitrary: fallback },
  );
}

const HOUR = 3_600_000;
/**
 * Instants at the edges of what a date-time may say: years 0000-0099 (which Date.UTC reads as
 * 1900-1999), leap days there, and the last second of 9999; close pairs make windows of days to months.
 */
export const extremeTimestamp = fc.constantFrom(
  '0000-01-01T00:00:00Z',
  '0000-02-29T12:00:00Z',
  '0000-03-01T00:00:00Z',
  '0000-06-01T00:00:00+14:00',
  '0050-01-01T00:00:00Z',
  '0050-03-01T00:00:00-12:00',
  '0099-12-31T23:59:59Z',
  '0100-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '9999-06-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
);
/** A timestamp a reading may carry: within the last 30 days, to the millisecond or minute; now and then an extreme one. */
const isoTimestamp = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .integer({ min: -30 * 24 * HOUR, max: 0 })
      .map((offset) => new Date(Date.now() + offset).toISOString()),
  },
  { weight: 1, arbitrary: extremeTimestamp },
);

/** Text past U+00FF (Latin-1), which Node refuses in a header: a euro sign, line separators, Greek, CJK, an emoji. */
export const wideString = fc
  .tuple(
    fc.constantFrom('', '/', '/sites?q='),
    fc.string({ maxLength: 10 }),
    fc.constantFrom('€', '\u2028', '\u2029', 'Ω', '日本語', '💥', '\u0100'),
  )
  .map(([head, text, wide]) => `${head}${text}${wide}`);

/** Strings meant to break things: control characters, lone surrogates, RTL marks, NUL, path tricks, SQL and formula text. */
export const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  wideString,
  extremeTimestamp,
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '\udfff',
    '\u202e\u202d',
    'é\u0301',
    '💥'.repeat(50),
    '../../etc/passwd',
    '%00',
    '%E0%A4%A',
    "'; DROP TABLE sites; --",
    '=cmd|/c calc',
    '<script>alert(1)</script>',
    ' ',
    '',
    '\n\r\t',
  ),
);

const hugeString = fc.constantFrom(10_000, 100_000, 1_100_000).map((n) => 'x'.repeat(n));

/** Any JSON value, to stand in for a field of the wrong type. */
const anyJson = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  hostileString,
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

function stringArbitrary(s: JsonSchema, name: string, hints: Hints): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 64, 200);
  const fits = (v: string) => v.length >= min && v.length <= (s.maxLength ?? Infinity);
  if (/Id$|^entityId$/.test(name) && hints.ids.length > 0) return idArbitrary(hints, name, plain());
  const known = hints.values?.[name];
  if (known?.length)
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: plain() });
  if (s.format === 'date-time' || name === 'timestamp') return isoTimestamp;
  if (s.format === 'email') return fc.emailAddress().filter(fits);
  if (name === 'tz' || name === 'timezone')
    return fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata');
  return plain();

  function plain(): fc.Arbitrary<string> {
    if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
    return fc.string({ minLength: min, maxLength: max });
  }
}

/** An arbitrary of values that satisfy the schema (as far as the subset goes). */
export function valid(s: JsonSchema, hints: Hints, name = ''): fc.Arbitrary<unknown> {
  if (s.examples?.length)
    return fc.oneof(fc.constantFrom(...s.examples), valid({ ...s, examples: undefined }, hints, name));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const union = s.anyOf ?? s.oneOf;
  if (union) return fc.oneof(...union.map((u) => valid(u, hints, name)));
  switch (Array.isArray(s.type) ? s.type[0] : s.type) {
    case 'string':
      return stringArbitrary(s, name, hints);
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e9, max: s.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valid(s.items ?? {}, hints, name.replace(/s$/, '')), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 5, 5),
      });
    case 'object':
      return objectArbitrary(s, hints);
    default:
      return anyJson;
  }
}

function objectArbitrary(s: JsonSchema, hints: Hints): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valid(v, hints, k)]));
  return fc.record(model, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
}

export type Mutation = 'wrong-type' | 'missing' | 'extra' | 'huge' | 'unicode' | 'not-an-object';

/**
 * A list far past any limit whose items all have the wrong type: 100,000 zeros where readings
 * belong once held the server for most of a minute. Under the 1 MiB body limit.
 */
const hugeArray = fc
  .tuple(fc.constantFrom(0, 'x', null, true, [], {}), fc.constantFrom(101, 10_001, 100_000))
  .map(([item, n]) => new Array<unknown>(n).fill(item));

const isArray = (s: JsonSchema | undefined) => (Array.isArray(s?.type) ? s.type[0] : s?.type) === 'array';

/** A value that is valid but for one mutation (or a wholly wrong value); objects are mutated one level down too. */
export function invalid(s: JsonSchema, hints: Hints): fc.Arbitrary<unknown> {
  if ((Array.isArray(s.type) ? s.type[0] : s.type) !== 'object' || !s.properties) return fc.oneof(anyJson, hugeString);
  const keys = Object.keys(s.properties);
  // An object with no fields at all (sign-out's `{}`): a field it does not take, or not an object.
  if (keys.length === 0)
    return fc.oneof(
      anyJson,
      anyJson.map((junk) => ({ unexpected: junk })),
    );
  const one = oneMutation(s, hints, keys);
  const arrays = keys.filter((k) => isArray(s.properties![k]));
  if (arrays.length === 0) return one;
  // Every operation that takes a list also gets that list huge, of items of the wrong type.
  const huge = fc
    .tuple(valid(s, hints) as fc.Arbitrary<Record<string, unknown>>, fc.constantFrom(...arrays), hugeArray)
    .map(([value, key, items]) => ({ ...value, [key]: items }));
  return fc.oneof({ weight: 5, arbitrary: one }, { weight: 1, arbitrary: huge });
}

function oneMutation(s: JsonSchema, hints: Hints, keys: string[]): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      valid(s, hints) as fc.Arbitrary<Record<string, unknown>>,
      fc.constantFrom<Mutation>('wrong-type', 'missing', 'extra', 'huge', 'unicode', 'not-an-object'),
      fc.constantFrom(...keys),
      anyJson,
      hostileString,
      hugeString,
      fc.boolean(),
    )
    .chain(([value, mutation, key, junk, hostile, huge, deep]) => {
      const out: Record<string, unknown> = { ...value };
      const inner = s.properties![key];
      // One level down: an array of objects (readings) or a nested object gets its own mutation.
      if (deep && inner.type === 'array' && inner.items?.type === 'object') {
        return fc
          .array(invalid(inner.items, hints), { minLength: 1, maxLength: 3 })
          .map((items) => ({ ...out, [key]: items }));
      }
      switch (mutation) {
        case 'wrong-type':
          out[key] = junk;
          break;
        case 'missing':
          delete out[key];
          break;
        case 'extra':
          out[`${key}_extra`] = junk;
          out.__proto__x = 'x';
          break;
        case 'huge':
          out[key] = huge;
          break;
        case 'unicode':
          out[key] = hostile;
          break;
        case 'not-an-object':
          return fc.constantFrom<unknown>([value], null, 'string', 42, true);
      }
      return fc.constant(out);
    });
}

/** A query string value: valid, or any text at all. */
export function queryValue(
  s: JsonSchema,
  hints: Hints,
  name: string,
  mutate: boolean,
): fc.Arbitrary<string | string[]> {
  // A cursor is opaque and issued by the server: a made-up one is invalid input, not valid.
  if (name === 'cursor' && !mutate) return fc.constant('');
  if (mutate)
    return fc.oneof(
      hostileString,
      wideString,
      extremeTimestamp,
      hugeString.map((h) => h.slice(0, 5000)),
      fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 3 }),
      fc.constantFrom('-1', '0', '1e309', 'NaN', '10001', '201', 'true', '9007199254740993'),
    );
  return valid(s, hints, name).map((v) => String(v));
}
