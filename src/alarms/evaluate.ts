// Alarm evaluation as pure functions: a rule, where a (rule, metric) stood, and readings in order of
// reading time give the new standing and the alarm transitions. No I/O: the alarms repository reads
// the standing, calls this inside the ingestion transaction and stores what it returns
// (docs/alarms.md).
import { MINUTE_MS, SECOND_MS } from '../time.js';

export const CONDITIONS = ['above', 'below', 'outside', 'no_data'] as const;
export type Condition = (typeof CONDITIONS)[number];
/** Most severe first: the order alarm lists sort by. */
export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface RuleSpec {
  condition: Condition;
  threshold: number | null;
  low: number | null;
  high: number | null;
  clearThreshold: number | null;
  forSeconds: number;
  noDataMinutes: number | null;
}

/** Where a (rule, metric) stands: whether its alarm is open, since when the condition holds, the newest reading time seen. */
export interface Standing {
  firing: boolean;
  pendingSince: number | null;
  lastTs: number;
}

export type Transition =
  | { kind: 'raise'; at: number; value: number }
  /** The condition still holds while the alarm is open: its last-seen time and peak move. */
  | { kind: 'seen'; at: number; peak: number }
  | { kind: 'clear'; at: number; value: number };

/** Whether a value meets the raise condition (never for no_data, which readings only clear). */
export function holds(rule: RuleSpec, v: number): boolean {
  switch (rule.condition) {
    case 'above':
      return v > rule.threshold!;
    case 'below':
      return v < rule.threshold!;
    case 'outside':
      return v < rule.low! || v > rule.high!;
    case 'no_data':
      return false;
  }
}

/**
 * Whether a value clears an open alarm. Between the threshold and the clear threshold (hysteresis)
 * a value neither raises nor clears: "below 10, clear at 15" stays open at 12.
 */
export function clears(rule: RuleSpec, v: number): boolean {
  switch (rule.condition) {
    case 'above':
      return v <= (rule.clearThreshold ?? rule.threshold!);
    case 'below':
      return v >= (rule.clearThreshold ?? rule.threshold!);
    case 'outside': {
      // The clear margin narrows the band an open alarm must come back into: "outside 10..20, margin 2"
      // clears only at 12..18.
      const m = rule.clearThreshold ?? 0;
      return v >= rule.low! + m && v <= rule.high! - m;
    }
    case 'no_data':
      return true;
  }
}

/** The more extreme of two values that meet the condition: the alarm's peak. */
export function morePeak(rule: RuleSpec, a: number, b: number): number {
  switch (rule.condition) {
    case 'above':
      return Math.max(a, b);
    case 'below':
      return Math.min(a, b);
    default: {
      const mid = ((rule.low ?? 0) + (rule.high ?? 0)) / 2;
      return Math.abs(b - mid) > Math.abs(a - mid) ? b : a;
    }
  }
}

/**
 * Readings (ascending by time) through one threshold rule. A reading not newer than the newest one
 * already evaluated changes nothing: late and replayed readings are stored but never move an alarm,
 * so the answer does not depend on the order batches arrive in. The condition must hold on every
 * reading for `forSeconds` of reading time before the alarm raises (0: at the first).
 */
export function evaluate(
  rule: RuleSpec,
  standing: Standing | null,
  readings: readonly (readonly [number, number])[],
): { standing: Standing; transitions: Transition[] } {
  let { firing, pendingSince, lastTs } = standing ?? { firing: false, pendingSince: null, lastTs: -Infinity };
  const transitions: Transition[] = [];
  for (const [ts, v] of readings) {
    if (ts <= lastTs) continue;
    lastTs = ts;
    if (firing) {
      if (holds(rule, v)) {
        const last = transitions[transitions.length - 1];
        if (last?.kind === 'seen')
          transitions[transitions.length - 1] = { kind: 'seen', at: ts, peak: morePeak(rule, last.peak, v) };
        else transitions.push({ kind: 'seen', at: ts, peak: v });
      } else if (clears(rule, v)) {
        transitions.push({ kind: 'clear', at: ts, value: v });
        firing = false;
        pendingSince = null;
      }
    } else if (holds(rule, v)) {
      pendingSince ??= ts;
      if (ts - pendingSince >= rule.forSeconds * SECOND_MS) {
        transitions.push({ kind: 'raise', at: ts, value: v });
        firing = true;
        pendingSince = null;
      }
    } else pendingSince = null;
  }
  return { standing: { firing, pendingSince, lastTs }, transitions };
}

/** Readings older than this leave a no_data rule's metric silent at `now`. */
export const noDataCutoff = (rule: Pick<RuleSpec, 'noDataMinutes'>, now: number) =>
  now - (rule.noDataMinutes ?? 0) * MINUTE_MS;

const num = (n: number | null) => (n === null ? '?' : String(n));

/** The rule in words, e.g. "below 10 (clears at 15) for 300 s": stored with each alarm, which outlives its rule. */
export function describeRule(rule: RuleSpec): string {
  const held = rule.forSeconds > 0 ? ` for ${rule.forSeconds} s` : '';
  switch (rule.condition) {
    case 'above':
    case 'below': {
      const clear = rule.clearThreshold !== null ? ` (clears at ${num(rule.clearThreshold)})` : '';
      return `${rule.condition} ${num(rule.threshold)}${clear}${held}`;
    }
    case 'outside': {
      const clear = rule.clearThreshold ? ` (clears ${num(rule.clearThreshold)} inside)` : '';
      return `outside ${num(rule.low)}..${num(rule.high)}${clear}${held}`;
    }
    case 'no_data':
      return `no data for ${num(rule.noDataMinutes)} min`;
  }
}

/** What is wrong with a rule's fields, by field: the same message on the API and on forms. */
export function ruleProblems(rule: RuleSpec): { field: keyof RuleSpec; message: string }[] {
  const out: { field: keyof RuleSpec; message: string }[] = [];
  const need = (field: 'threshold' | 'low' | 'high' | 'noDataMinutes') => {
    if (rule[field] === null) out.push({ field, message: `Required for "${rule.condition}"` });
  };
  const none = (...fields: ('threshold' | 'low' | 'high' | 'clearThreshold' | 'noDataMinutes')[]) => {
    for (const field of fields)
      if (rule[field] !== null) out.push({ field, message: `Not used by "${rule.condition}"; leave it out` });
  };
  switch (rule.condition) {
    case 'above':
    case 'below':
      need('threshold');
      none('low', 'high', 'noDataMinutes');
      if (rule.threshold !== null && rule.clearThreshold !== null) {
        if (rule.condition === 'above' && rule.clearThreshold > rule.threshold)
          out.push({ field: 'clearThreshold', message: 'Must be at most the threshold (it clears below it)' });
        if (rule.condition === 'below' && rule.clearThreshold < rule.threshold)
          out.push({ field: 'clearThreshold', message: 'Must be at least the threshold (it clears above it)' });
      }
      break;
    case 'outside':
      need('low');
      need('high');
      none('threshold', 'noDataMinutes');
      if (rule.low !== null && rule.high !== null && !(rule.low < rule.high))
        out.push({ field: 'high', message: 'Must be greater than low' });
      else if (rule.low !== null && rule.high !== null && rule.clearThreshold !== null) {
        // For a band it is a margin inside both edges: 0 up to less than half the band.
        if (rule.clearThreshold < 0)
          out.push({ field: 'clearThreshold', message: 'Must be 0 or more (a margin inside the band)' });
        else if (rule.clearThreshold * 2 >= rule.high - rule.low)
          out.push({ field: 'clearThreshold', message: 'Must be less than half the band (high − low)' });
      }
      break;
    case 'no_data':
      need('noDataMinutes');
      none('threshold', 'low', 'high', 'clearThreshold');
      if (rule.forSeconds !== 0) out.push({ field: 'forSeconds', message: 'Not used by "no_data"; use noDataMinutes' });
      break;
  }
  return out;
}
