// In-process fan-out of committed readings to live streams, with a replay buffer so a client
// that reconnects with Last-Event-ID gets what it missed. Plain EventEmitter-style code: no fastify.
import { randomBytes } from 'node:crypto';

export interface LiveReading {
  seq: number;
  metricPk: number;
  metricId: string;
  ts: number;
  value: number;
  /** The SSE text of this reading, made once and shared by every stream that sends it. */
  sse?: string;
}

type ReadingsListener = (batch: LiveReading[]) => void;
type AccessListener = (userId: string | null) => void;
type SubscriptionListener = (subscriptionId: string) => void;

/** About ten minutes of a 10,000-metric fleet reporting every 10 s. */
const DEFAULT_BUFFER = 200_000;

export class LiveHub {
  /** Changes at every start: an id from before a restart cannot be resumed and gets a reset. */
  readonly bootId = randomBytes(4).toString('hex');
  private seq = 0;
  private buffer: LiveReading[] = [];
  private readonly readings = new Set<ReadingsListener>();
  private readonly access = new Set<AccessListener>();
  private readonly subs = new Set<SubscriptionListener>();
  private readonly closers = new Set<() => void>();
  private readonly alarms = new Set<() => void>();

  constructor(private readonly bufferSize = DEFAULT_BUFFER) {}

  publish(batch: Omit<LiveReading, 'seq'>[]): void {
    if (batch.length === 0) return;
    const stamped = batch.map((r): LiveReading => ({
      seq: ++this.seq,
      metricPk: r.metricPk,
      metricId: r.metricId,
      ts: r.ts,
      value: r.value,
    }));
    this.buffer.push(...stamped);
    if (this.buffer.length > this.bufferSize * 1.25) this.buffer = this.buffer.slice(-this.bufferSize);
    for (const l of this.readings) l(stamped);
  }

  eventId(seq: number): string {
    return `${this.bootId}-${seq}`;
  }

  /**
   * Readings after a Last-Event-ID. null means a gap cannot be ruled out (another boot, or older
   * than the buffer): the client should reload its history.
   */
  since(lastEventId: string): LiveReading[] | null {
    const m = /^([0-9a-f]+)-(\d+)$/.exec(lastEventId);
    if (!m || m[1] !== this.bootId) return null;
    const after = Number(m[2]);
    if (after > this.seq) return null;
    const oldest = this.buffer.length ? this.buffer[0].seq : this.seq + 1;
    if (after < oldest - 1) return null;
    return this.buffer.filter((r) => r.seq > after);
  }

  get lastSeq(): number {
    return this.seq;
  }

  onReadings(l: ReadingsListener) {
    this.readings.add(l);
    return () => this.readings.delete(l);
  }

  /** userId null: anyone may have lost access (a site was deleted). */
  accessChanged(userId: string | null): void {
    for (const l of this.access) l(userId);
  }

  onAccessChanged(l: AccessListener) {
    this.access.add(l);
    return () => this.access.delete(l);
  }

  subscriptionChanged(id: string): void {
    for (const l of this.subs) l(id);
  }

  onSubscriptionChanged(l: SubscriptionListener) {
    this.subs.add(l);
    return () => this.subs.delete(l);
  }

  /** This process changed alarms (or may have): alarm streams look for new events now, not at their next poll. */
  alarmsChanged(): void {
    for (const l of this.alarms) l();
  }

  onAlarmsChanged(l: () => void) {
    this.alarms.add(l);
    return () => this.alarms.delete(l);
  }

  onClose(l: () => void) {
    this.closers.add(l);
    return () => this.closers.delete(l);
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    for (const l of [...this.closers]) l();
  }
}
