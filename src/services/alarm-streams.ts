// Live Server-Sent Events of alarm changes on the caller's sites. The changes are rows of
// `alarm_events`, written by whichever process made them, so every process reads what is newer than
// what it sent: once a second while streams are open, and at once after a change of its own.
// Access is checked per event against the actor as last read from its credential (streams.ts).
import type { AlarmEventKind } from '../alarms/view.js';
import { alarmView } from '../alarms/view.js';
import type { AlarmRow } from '../db/repositories/alarms.js';
import type { Repositories } from '../db/repositories/index.js';
import { errors } from '../errors.js';
import type { LiveHub } from './live.js';
import { canView, type Actor } from './policy.js';
import type { Credential, StreamSink } from './streams.js';

export interface AlarmStreamOptions {
  maxPerUser: number;
  heartbeatMs: number;
  recheckMs: number;
  /** How often the events table is read while streams are open (changes made by other processes). */
  pollMs: number;
}

const DEFAULTS: AlarmStreamOptions = { maxPerUser: 10, heartbeatMs: 15_000, recheckMs: 5_000, pollMs: 1_000 };
const BATCH = 500;

interface Client {
  actor: Actor;
  /** The last event seq this stream has been sent (or skipped as invisible). */
  after: number;
  sink: StreamSink;
}

const text = (e: { seq: number; kind: AlarmEventKind; alarm: AlarmRow }) =>
  `id: ${e.seq}\nevent: alarm\ndata: ${JSON.stringify({ type: e.kind, alarm: alarmView(e.alarm) })}\n\n`;

export function alarmStreamsService(repos: Repositories, hub: LiveHub, options: Partial<AlarmStreamOptions> = {}) {
  const opts = { ...DEFAULTS, ...options };
  const clients = new Set<Client>();
  const perUser = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  /** Sends each stream the events after its last, that it may see. One read serves every stream. */
  async function poll() {
    while (clients.size > 0) {
      const from = Math.min(...[...clients].map((c) => c.after));
      const events = await repos.alarms.eventsAfter(from, BATCH);
      if (events.length === 0) return;
      for (const client of clients) {
        let chunk = '';
        for (const e of events) if (e.seq > client.after && canView(client.actor, e.alarm.siteId)) chunk += text(e);
        client.after = Math.max(client.after, events[events.length - 1].seq);
        if (chunk) client.sink.write(chunk);
      }
      if (events.length < BATCH) return;
    }
  }
  // One poll at a time; a request during one runs once more after it, so no event waits a full period.
  let running: Promise<void> | null = null;
  let again = false;
  function pollSoon() {
    again = true;
    running ??= (async () => {
      while (again) {
        again = false;
        await poll();
      }
    })()
      .catch(() => undefined) // the next period tries again; a stream is not ended by a busy database
      .finally(() => (running = null));
  }
  hub.onAlarmsChanged(pollSoon);

  return {
    get openCount() {
      return clients.size;
    },

    /** Opens a stream; resolves once the first bytes are written. Returns the function that closes it. */
    async open(actor: Actor, credential: Credential, lastEventId: string | undefined, sink: StreamSink) {
      if ((perUser.get(actor.id) ?? 0) >= opts.maxPerUser) throw new errors.TOO_MANY_STREAMS();
      perUser.set(actor.id, (perUser.get(actor.id) ?? 0) + 1);
      const bounds = await repos.alarms.eventBounds();
      const resume = lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : null;
      // Resumable only when nothing after it has been pruned and it is not from another database.
      const gapless = resume !== null && resume <= bounds.last && (bounds.first === 0 || resume >= bounds.first - 1);
      const client: Client = { actor, after: gapless ? resume : bounds.last, sink };
      let closed = false;

      sink.write('retry: 3000\n: alarm changes\n\n');
      if (lastEventId !== undefined && !gapless) sink.write(`id: ${bounds.last}\nevent: reset\ndata: {}\n\n`);
      clients.add(client);
      if (clients.size === 1) timer = setInterval(pollSoon, opts.pollMs).unref();
      if (gapless) pollSoon();

      let checking = false;
      const recheck = async () => {
        if (checking || closed) return;
        checking = true;
        try {
          const signedIn = await credential();
          if (!signedIn || signedIn.id !== actor.id) close();
          else client.actor = signedIn;
        } catch {
          close(); // a credential that cannot be read is not one that can be trusted
        } finally {
          checking = false;
        }
      };
      const stops = [
        hub.onAccessChanged((userId) => {
          if (userId === null || userId === actor.id) void recheck();
        }),
        hub.onClose(() => close()),
      ];
      const heartbeat = setInterval(() => sink.write(': heartbeat\n\n'), opts.heartbeatMs).unref();
      const rechecking = setInterval(() => void recheck(), opts.recheckMs).unref();

      function close() {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        clearInterval(rechecking);
        for (const stop of stops) stop();
        clients.delete(client);
        if (clients.size === 0) clearInterval(timer);
        perUser.set(actor.id, (perUser.get(actor.id) ?? 1) - 1);
        sink.end();
      }
      return close;
    },
  };
}

export type AlarmStreamsService = ReturnType<typeof alarmStreamsService>;
