// Live Server-Sent Events for a subscription. Transport-neutral: the route hands in a sink.
// Access is checked when the stream opens and again whenever memberships or the subscription change.
import { errors } from '../errors.js';
import type { AuthService } from './auth.js';
import type { LiveHub, LiveReading } from './live.js';
import type { Actor } from './policy.js';
import type { SubscriptionsService } from './subscriptions.js';
import { iso } from './views.js';

export interface StreamSink {
  write(chunk: string): void;
  end(): void;
}

export interface StreamOptions {
  maxPerUser: number;
  heartbeatMs: number;
}

export function streamsService(
  hub: LiveHub,
  auth: AuthService,
  subscriptions: SubscriptionsService,
  opts: StreamOptions = { maxPerUser: 10, heartbeatMs: 15_000 },
) {
  const open = new Map<string, number>();
  let total = 0;

  return {
    get openCount() {
      return total;
    },

    /** Opens a stream; resolves once the first bytes are written. Returns the function that closes it. */
    async open(
      actor: Actor,
      subscriptionId: string,
      lastEventId: string | undefined,
      sink: StreamSink,
    ): Promise<() => void> {
      const { metrics } = await subscriptions.resolve(actor, subscriptionId); // 404 for anyone but the owner
      if ((open.get(actor.id) ?? 0) >= opts.maxPerUser) throw new errors.TOO_MANY_STREAMS();
      open.set(actor.id, (open.get(actor.id) ?? 0) + 1);
      total++;

      let visible = new Set(metrics.map((m) => m.pk));
      let closed = false;
      const text = (r: LiveReading) =>
        (r.sse ??= `id: ${hub.eventId(r.seq)}\nevent: reading\ndata: ${JSON.stringify({ metricId: r.metricId, timestamp: iso(r.ts), value: r.value })}\n\n`);
      // One write per stream per batch: a thousand streams cost a thousand writes, not a thousand per reading.
      const sendAll = (batch: LiveReading[]) => {
        let chunk = '';
        for (const r of batch) if (visible.has(r.metricPk)) chunk += text(r);
        if (chunk) sink.write(chunk);
      };

      const refresh = async () => {
        const current = await auth.loadActor(actor.id);
        if (!current) return close();
        try {
          visible = new Set((await subscriptions.resolve(current, subscriptionId)).metrics.map((m) => m.pk));
        } catch {
          close(); // the subscription is gone
        }
      };

      const stops = [
        hub.onReadings(sendAll),
        hub.onAccessChanged((userId) => {
          if (userId === null || userId === actor.id) void refresh();
        }),
        hub.onSubscriptionChanged((id) => {
          if (id === subscriptionId) void refresh();
        }),
        hub.onClose(() => close()),
      ];
      const heartbeat = setInterval(() => sink.write(': heartbeat\n\n'), opts.heartbeatMs);
      heartbeat.unref();

      function close() {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        for (const stop of stops) stop();
        open.set(actor.id, (open.get(actor.id) ?? 1) - 1);
        total--;
        sink.end();
      }

      sink.write(`retry: 3000\n: stream of ${subscriptionId}\n\n`);
      if (lastEventId) {
        const missed = hub.since(lastEventId);
        // Without a gap-free replay the client is told to reload its history instead.
        if (missed === null) sink.write(`id: ${hub.eventId(hub.lastSeq)}\nevent: reset\ndata: {}\n\n`);
        else sendAll(missed);
      }
      return close;
    },
  };
}

export type StreamsService = ReturnType<typeof streamsService>;
