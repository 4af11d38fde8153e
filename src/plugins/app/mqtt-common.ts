import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { invalid, publicCode } from '../../errors.js';

/** The largest payload, as on HTTP. */
export const MAX_PAYLOAD = 2 * 1024 * 1024;
/** A batch this large is committed without waiting for the rest of its window. */
export const BATCH_MAX_ROWS = 5_000;

/** Why a message was not stored: the `reason` label of sitewatt_mqtt_messages_total. */
export type RefusalReason = 'topic' | 'device' | 'payload' | 'key' | 'rate' | 'size' | 'store';

const NAME = 'sitewatt_mqtt_messages_total';

/**
 * MQTT messages by path (`broker`: the built-in one, `bridge`: from an existing broker), result
 * and reason, on /metrics; one counter that both paths share.
 */
export function messagesCounter(app: FastifyInstance) {
  const counter =
    (app.prometheus.getSingleMetric(NAME) as Counter | undefined) ??
    new Counter({
      name: NAME,
      help: 'MQTT telemetry messages, stored or refused (with why)',
      labelNames: ['path', 'result', 'reason'],
      registers: [app.prometheus],
    });
  return (path: 'broker' | 'bridge') => ({
    stored: () => counter.inc({ path, result: 'stored', reason: '' }),
    refused: (reason: RefusalReason) => counter.inc({ path, result: 'refused', reason }),
  });
}

/** A telemetry message's JSON body; a payload that is not JSON is a 422 like any other fault. */
export function parsePayload(payload: Buffer): unknown {
  if (payload.length > MAX_PAYLOAD)
    throw invalid([{ path: '', message: `At most ${MAX_PAYLOAD} bytes` }], 'Message too large');
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    throw invalid([{ path: '', message: 'Not JSON' }], 'The payload is not JSON; nothing was stored');
  }
}

/** The reason label of an error thrown while checking or storing a message. */
export function reasonOf(err: unknown): RefusalReason {
  const code = publicCode((err as { code?: string }).code ?? '');
  if (code === 'DEVICE_NOT_FOUND' || code === 'FORBIDDEN') return 'device';
  if (code === 'VALIDATION_FAILED') return 'payload';
  return 'store';
}
