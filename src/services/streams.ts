// Live Server-Sent Events for a subscription. Transport-neutral: the route hands in a sink.
// Access is checked when the stream opens; then the credential that opened it is read again from
// the database every `recheckMs` and at once on this process's access events, and the visible
// metrics are resolved again whenever access or the subscription changed.
import type { StreamSlots } from '../db/coordination.js';
import { errors } from '../errors.js';
import type { LiveHub, LiveReading } from './live.js';
import type { Actor } from './policy.js';
import type { SubscriptionsService } from './subscriptions.js';
import { iso } from './views.js';

export interface StreamSink {
  write(chunk: string): void;
  end(): void;
}

/**
 * Reads the credential a stream was opened with (its session or its token, and their user) again
 * from the database: the actor it signs in now, or null once it has ended in any way (sign-out,
 * idle or absolute expiry, revocation, password reset, deactivation). The database is the truth
 * every node shares, so a credential ended by another process ends the stream too.
 */
export type Credential = () => Promise<Actor | null>;

// A user's open streams: counted in memory by one process; by the nodes of a cluster in lease rows
// that the serving node renews (src/db/postgres/coordination.ts), so a limit holds across nodes.
export type { StreamSlots };

/** One process's count. */
export function memorySlots(): StreamSlots {
  const open = new Map<string, number>();
  return {
    take(userId, max) {
      const n = open.get(userId) ?? 0;
      if (n >= max) return Promise.resolve(null);
      open.set(userId, n + 1);
      return Promise.resolve(userId);
    },
    give(userId) {
      const n = (open.get(userId) ?? 1) - 1;
      if (n > 0) open.set(userId, n);
      else open.delete(userId);
    },
  };
}

export interface StreamOptions {
  maxPerUser: number;
  heartbeatMs: number;
  /** How often the credential is read again: a stream ends at most this long after it. */
  recheckMs: number;
}

const DEFAULTS: StreamOptions = { maxPerUser: 10, heartbeatMs: 15_000, recheckMs: 5_000 };

export function streamsService(
  hub: LiveHub,
  subscriptions: SubscriptionsService,
  options: Partial<StreamOptions> = {},
  slots: StreamSlots = memorySlots(),
) {
  const opts = { ...DEFAULTS, ...options };
  let total = 0;

  return {
    get openCount() {
      return total;
    },

    /** Opens a stream; resolves once the first bytes are written. Returns the function that closes it. */
    async open(
      actor: Actor,
      credential: Credential,
      subscriptionId: string,
      lastEventId: string | undefined,
      sink: StreamSink,
    ): Promise<() => void> {
      const { metrics } = await subscriptions.resolve(actor, subscriptionId); // 404 for anyone but the owner
      const taken = await slots.take(actor.id, opts.maxPerUser);
      if (taken === null) throw new errors.TOO_MANY_STREAMS();
      const slot = taken;
      total++;

      let visible = new Set(metrics.map((m) => m.pk));
      let closed = false;
      /** The actor as last read. Actors are cached per access version: another object means access may have moved. */
      let current = actor;
      const text = (r: LiveReading) =>
        (r.sse ??= `id: ${hub.eventId(r.seq)}\nevent: reading\ndata: ${JSON.stringify({ metricId: r.metricId, timestamp: iso(r.ts), value: r.value })}\n\n`);
      // One write per stream per batch: a thousand streams cost a thousand writes, not a thousand per reading.
      // While a Last-Event-ID is replayed (a read of the database with a relay), live batches wait.
      let waiting: LiveReading[][] | null = lastEventId ? [] : null;
      const sendAll = (batch: LiveReading[]) => {
        if (waiting) return void waiting.push(batch);
        let chunk = '';
        for (const r of batch) if (visible.has(r.metricPk)) chunk += text(r);
        if (chunk) sink.write(chunk);
      };

      /** Ends the stream when its credential has; resolves the visible metrics again when asked or when access moved. */
      const recheck = async (resolveAgain: boolean) => {
        const signedIn = await credential();
        if (closed) return;
        if (!signedIn || signedIn.id !== actor.id) return close();
        if (!resolveAgain && signedIn === current) return;
        current = signedIn;
        try {
          visible = new Set((await subscriptions.resolve(signedIn, subscriptionId)).metrics.map((m) => m.pk));
        } catch {
          close(); // the subscription is gone
        }
      };
      // One check at a time; a request during one runs once more after it, so no change is missed.
      let running: Promise<void> | null = null;
      let again: boolean | null = null;
      const check = (resolveAgain: boolean) => {
        if (closed) return;
        again = (again ?? false) || resolveAgain;
        running ??= (async () => {
          while (again !== null && !closed) {
            const resolveNow: boolean = again;
            again = null;
            await recheck(resolveNow);
          }
        })()
          .catch(() => close()) // a credential that cannot be read is not one that can be trusted
          .finally(() => (running = null));
      };

      const stops = [
        hub.onReadings(sendAll),
        hub.onAccessChanged((userId) => {
          if (userId === null || userId === actor.id) check(true);
        }),
        hub.onSubscriptionChanged((id) => {
          if (id === subscriptionId) check(true);
        }),
        hub.onClose(() => close()),
      ];
      const heartbeat = setInterval(() => sink.write(': heartbeat\n\n'), opts.heartbeatMs);
      heartbeat.unref();
      const rechecking = setInterval(() => check(false), opts.recheckMs);
      rechecking.unref();

      function close() {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        clearInterval(rechecking);
        for (const stop of stops) stop();
        slots.give(slot);
        total--;
        sink.end();
      }

      sink.write(`retry: 3000\n: stream of ${subscriptionId}\n\n`);
      if (lastEventId) {
        const missed = await hub.replay(lastEventId);
        if (closed) return close;
        const held = waiting ?? [];
        waiting = null;
        // Without a gap-free replay the client is told to reload its history instead.
        if (missed === null) sink.write(`id: ${hub.eventId(hub.lastSeq)}\nevent: reset\ndata: {}\n\n`);
        else sendAll(missed);
        // Batches that arrived meanwhile, less what the replay already sent.
        const sent = missed?.at(-1)?.seq ?? -1;
        for (const batch of held) sendAll(batch.filter((r) => r.seq > sent));
      }
      return close;
    },
  };
}

export type StreamsService = ReturnType<typeof streamsService>;
