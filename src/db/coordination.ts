// What the nodes of a cluster share besides the data, as the services see it: request counts,
// sign-in failures, job leases, open-stream slots and the live relay. One process on SQLite keeps
// these in memory (src/services); PostgreSQL keeps them in tables (src/db/postgres/coordination.ts,
// live-feed.ts). See docs/decisions/018-stateless-nodes.md.

export interface RateLimitStore {
  /**
   * Counts one request of `key` in the window starting at `windowStart` (epoch ms); returns how
   * many `key` has made in that window, this one included. A shared store may answer a promise.
   */
  hit(key: string, windowStart: number): number | Promise<number>;
}

/** What the sign-in needs of a throttle; a shared one answers promises. */
export interface Throttle {
  /** Seconds until the next attempt is allowed, or 0. */
  retryAfter(key: string, now?: number): number | Promise<number>;
  fail(key: string, now?: number): void | Promise<void>;
  succeed(key: string): void | Promise<void>;
}

export interface Leases {
  /**
   * Takes or renews `name` for `holder` until `ttlMs` from now (the store's clock); true when
   * `holder` holds it. A lease that another holder renewed in time is not taken.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives `name` up if `holder` holds it, so that another node takes it without waiting. */
  release(name: string, holder: string): Promise<void>;
}

/** Counts a user's open live streams. */
export interface StreamSlots {
  /** A slot for one more stream of `userId`, or null when `max` are open. */
  take(userId: string, max: number): Promise<string | null>;
  give(slot: string): void;
}

/** A committed reading as live streams see it. */
export interface LiveInput {
  metricPk: number;
  metricId: string;
  ts: number;
  value: number;
}

/** Readings a relayed batch may hold: its event ids are batch id × span + index. */
export const BATCH_SPAN = 65_536;

/** How the nodes of a cluster share committed batches. */
export interface LiveRelay {
  /** The prefix of event ids, the same on every node of the database. */
  readonly epoch: string;
  /** Makes a committed batch known to every node (this one included, through `deliver`). Never rejects. */
  publish(batch: LiveInput[]): Promise<void>;
  /** Delivers what has been published and not yet delivered here. */
  catchUp(): Promise<void>;
}

/** What a relay feeds: a node's live hub. */
export interface LiveSink {
  useRelay(relay: LiveRelay): void;
  /** A batch, in the relay's order, numbered by its id. */
  deliver(batchId: number, batch: LiveInput[]): void;
  /** userId null: anyone may have lost access. */
  accessChanged(userId: string | null): void;
  subscriptionChanged(id: string): void;
}
