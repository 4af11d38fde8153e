// The shape of a telemetry message, checked here rather than by the route's schema: a message
// from another transport than HTTP (MQTT) has no route schema, and a union schema's errors ("must be a list", "values is
// required", "is not an allowed field" for one wrong value) would confuse whoever reads them.
import type { FieldError } from '../errors.js';

/** The most readings (samples × values) one message may carry, as for POST /api/readings. */
export const MAX_TELEMETRY_READINGS = 10_000;

/** One moment of a device: its metrics' values by key, at `ts` (epoch ms or ISO 8601; absent: on receipt). */
export interface TelemetrySample {
  ts?: number | string;
  values: Record<string, unknown>;
  /** JSON pointers of the sample's time and of its values, for field errors. */
  at: string;
  valuesAt: string;
}

/** A key as a JSON pointer segment (RFC 6901). */
export const pointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An object whose `values` is an object is a sample; any other object is bare values, stamped on receipt. */
function sampleOf(v: Record<string, unknown>, at: string, problems: FieldError[]): TelemetrySample | null {
  if (!isObject(v.values)) return { values: v, at, valuesAt: at };
  for (const k of Object.keys(v))
    if (k !== 'ts' && k !== 'values')
      problems.push({
        path: `${at}/${pointer(k)}`,
        message: 'is not an allowed field',
      });
  const ts = v.ts;
  if (ts !== undefined && typeof ts !== 'number' && (typeof ts !== 'string' || ts.length > 40)) {
    problems.push({ path: `${at}/ts`, message: 'must be epoch milliseconds or an ISO 8601 time with a zone' });
    return null;
  }
  return { ts, values: v.values, at, valuesAt: `${at}/values` };
}

/** The samples of a message, or field errors naming what is wrong with its shape. */
export function parseTelemetry(body: unknown): { samples: TelemetrySample[]; problems: FieldError[] } {
  const problems: FieldError[] = [];
  const samples: TelemetrySample[] = [];
  if (Array.isArray(body)) {
    if (body.length === 0) problems.push({ path: '', message: 'must hold at least one sample' });
    if (body.length > MAX_TELEMETRY_READINGS)
      problems.push({ path: '', message: `must hold at most ${MAX_TELEMETRY_READINGS} samples` });
    else
      body.forEach((v, i) => {
        if (!isObject(v)) return void problems.push({ path: `/${i}`, message: 'must be an object' });
        const sample = sampleOf(v, `/${i}`, problems);
        if (sample) samples.push(sample);
      });
  } else if (isObject(body)) {
    const sample = sampleOf(body, '', problems);
    if (sample) samples.push(sample);
  } else problems.push({ path: '', message: 'must be an object or a list of samples' });
  for (const s of samples)
    if (Object.keys(s.values).length === 0)
      problems.push({ path: s.valuesAt, message: 'must hold at least one value' });
  return { samples, problems };
}
