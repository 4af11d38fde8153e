// Fan-out of committed readings to live streams, with a replay buffer so a client that reconnects
// with Last-Event-ID gets what it missed. Plain EventEmitter-style code: no fastify.
// One process numbers its readings itself. Several nodes on one database share a relay
// (src/db/postgres/live-feed.ts): every batch goes through the database, each node's hub receives
// the batches in one order through `deliver`, and an event id means the same reading on every node.
import { randomBytes } from 'node:crypto';
import { BATCH_SPAN, type LiveInput, type LiveRelay, type LiveSink } from '../db/coordination.js';

export interface LiveReading {
  seq: number;
  metricPk: number;
  metricId: string;
  ts: number;
  value: number;
  /** The SSE text of this reading, made once and shared by every stream that sends it. */
  sse?: string;
}

export type { LiveInput, LiveRelay };

type ReadingsListener = (batch: LiveReading[]) => void;
type AccessListener = (userId: string | null) => void;
type SubscriptionListener = (subscriptionId: string) => void;

/** About ten minutes of a 10,000-metric fleet reporting every 10 s. */
const DEFAULT_BUFFER = 200_000;

export class LiveHub implements LiveSink {
  /** Changes at every start (or names the database): an id from elsewhere cannot be resumed and gets a reset. */
  private epoch = randomBytes(4).toString('hex');
  private relay: LiveRelay | null = null;
  private seq = 0;
  /** The smallest Last-Event-ID that the buffer replays without a gap; null: none yet. */
  private floor: number | null = 0;
  private buffer: LiveReading[] = [];
  private readonly readings = new Set<ReadingsListener>();
  private readonly access = new Set<AccessListener>();
  private readonly subs = new Set<SubscriptionListener>();
  private readonly closers = new Set<() => void>();
  private readonly alarms = new Set<() => void>();

  constructor(private readonly bufferSize = DEFAULT_BUFFER) {}

  /** From now on batches go through `relay` and come back through `deliver`. Call before any publish. */
  useRelay(relay: LiveRelay): void {
    this.relay = relay;
    this.epoch = relay.epoch;
    this.floor = null;
  }

  get bootId(): string {
    return this.epoch;
  }

  /** A committed batch, to every stream that shows its metrics (on every node, with a relay). */
  publish(batch: LiveInput[]): void | Promise<void> {
    if (batch.length === 0) return;
    if (this.relay) return this.relay.publish(batch);
    const first = this.seq + 1;
    this.seq += batch.length;
    this.push(batch.map((r, i) => stamp(r, first + i)));
  }

  /** A batch from the relay, in the relay's order: its readings' ids are `batchId` × BATCH_SPAN + index. */
  deliver(batchId: number, batch: LiveInput[]): void {
    const base = batchId * BATCH_SPAN;
    if (batch.length === 0 || base <= this.seq) return;
    this.floor ??= base;
    this.seq = base + batch.length - 1;
    this.push(batch.map((r, i) => stamp(r, base + i)));
  }

  private push(stamped: LiveReading[]): void {
    this.buffer.push(...stamped);
    if (this.buffer.length > this.bufferSize * 1.25) {
      const dropped = this.buffer.length - this.bufferSize;
      this.floor = this.buffer[dropped - 1].seq;
      this.buffer = this.buffer.slice(dropped);
    }
    for (const l of this.readings) l(stamped);
  }

  eventId(seq: number): string {
    return `${this.epoch}-${seq}`;
  }

  /**
   * Readings after a Last-Event-ID. null means a gap cannot be ruled out (another boot or database,
   * older than the buffer, or an id from the future): the client should reload its history.
   */
  since(lastEventId: string): LiveReading[] | null {
    const after = this.parse(lastEventId);
    if (after === null || after > this.seq) return null;
    if (this.floor === null || after < this.floor) return null;
    return this.buffer.filter((r) => r.seq > after);
  }

  /**
   * `since`, after catching up with the relay: the id may come from another node, which can be
   * ahead of this one (a batch it has delivered and this node not yet), so the replay holds every
   * batch committed before the request, wherever the client saw its last event.
   */
  async replay(lastEventId: string): Promise<LiveReading[] | null> {
    if (this.relay && this.parse(lastEventId) !== null) await this.relay.catchUp();
    return this.since(lastEventId);
  }

  private parse(lastEventId: string): number | null {
    const m = /^([0-9a-f]+)-(\d+)$/.exec(lastEventId);
    return m && m[1] === this.epoch ? Number(m[2]) : null;
  }

  get lastSeq(): number {
    return this.seq;
  }

  onReadings(l: ReadingsListener) {
    this.readings.add(l);
    return () => this.readings.delete(l);
  }

  /** userId null: anyone may have lost access (a site was deleted, or another node changed access). */
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

const stamp = (r: LiveInput, seq: number): LiveReading => ({
  seq,
  metricPk: r.metricPk,
  metricId: r.metricId,
  ts: r.ts,
  value: r.value,
});
