import type { Client } from 'aedes';

/**
 * Messages per second per ingest key: a token bucket per key, refilled at `rate` tokens a second
 * up to `burst`. Shared by every connection of the key, so opening more connections buys no more.
 */
export function keyBuckets(rate: number, burst: number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Takes a token for one message of `keyId`; false when the key has none left. */
    take(keyId: string, now = Date.now()): boolean {
      const b = buckets.get(keyId) ?? { tokens: burst, at: now };
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
      b.at = now;
      buckets.set(keyId, b);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
  };
}

/** The part of mqtt-packet's parser that the size guard hooks into (aedes keeps one per client). */
interface PacketParser {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

/**
 * Refuses a packet larger than `maxBytes` as soon as its fixed header says how long it is, before
 * its body is read: the error closes the connection, as aedes does for a malformed packet. aedes
 * has no such setting (it reads any packet up to MQTT's 256 MiB), so this wraps the parser of
 * each new client; tests/mqtt/limits.test.ts fails if an aedes upgrade moves it.
 */
export function limitPacketSize(client: Client, maxBytes: number, onRefused: (length: number) => void) {
  const parser = (client as unknown as { _parser: PacketParser })._parser;
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    const known = parseLength();
    if (known && parser.packet.length > maxBytes) {
      onRefused(parser.packet.length);
      parser._emitError(new Error(`packet of ${parser.packet.length} bytes is over ${maxBytes}`));
      return false;
    }
    return known;
  };
}
