// Live streams across the nodes of a cluster (docs/decisions/018-stateless-nodes.md). A committed
// ingestion batch is written to live_batches and announced with NOTIFY; every node (the writer
// too) reads new rows in id order and feeds its LiveHub, so an event id names the same reading on
// every node and a Last-Event-ID resumes on any of them from the table's few minutes. Writers
// serialize on an advisory lock held to commit, so ids become visible in order and a reader that
// has seen id n has seen every id below it. The notification carries only the schema and a kind,
// far under NOTIFY's 8,000-byte limit; access and subscription changes come the same way.
import pg from 'pg';
import { BATCH_SPAN, type LiveInput, type LiveRelay, type LiveSink } from '../coordination.js';
import { transaction } from './repositories/sql.js';

export const CHANNEL = 'sitewatt';

export interface LiveFeedOptions {
  url: string;
  pool: pg.Pool;
  hub: LiveSink;
  /** How often new rows are looked for without a notification (a dropped listener, a missed one). */
  pollMs?: number;
  onError: (err: unknown) => void;
}

type Row = [number, string, number, number];

export async function startLiveFeed({ url, pool, hub, pollMs = 2_000, onError }: LiveFeedOptions) {
  // The migration made the epoch; a schema emptied since (the tests reuse theirs) gets one again.
  // Nodes doing so at once may add a row each: all take the least, so they still agree.
  await pool.query(
    'INSERT INTO live_epoch (epoch) SELECT substr(md5(random()::text), 1, 8) WHERE NOT EXISTS (SELECT 1 FROM live_epoch)',
  );
  const { rows } = await pool.query<{ epoch: string; schema: string }>(
    'SELECT min(epoch) AS epoch, current_schema() AS schema FROM live_epoch',
  );
  const { epoch, schema } = rows[0];
  let last = 0;
  let stopped = false;

  // One read at a time; a request during one reads once more after it.
  let reading: Promise<void> | null = null;
  let again = false;
  const readNew = async () => {
    for (;;) {
      const { rows: batches } = await pool.query<{ id: number; payload: string }>(
        'SELECT id, payload FROM live_batches WHERE id > $1 ORDER BY id LIMIT 200',
        [last],
      );
      for (const b of batches) {
        last = b.id;
        hub.deliver(
          b.id,
          (JSON.parse(b.payload) as Row[]).map(([metricPk, metricId, ts, value]) => ({
            metricPk,
            metricId,
            ts,
            value,
          })),
        );
      }
      if (batches.length < 200) return;
    }
  };
  const catchUp = (): Promise<void> => {
    again = true;
    reading ??= (async () => {
      while (again && !stopped) {
        again = false;
        await readNew();
      }
    })().finally(() => (reading = null));
    return reading;
  };

  const relay: LiveRelay = {
    epoch,
    async publish(batch: LiveInput[]) {
      try {
        await transaction(pool, async (c) => {
          await c.query("SELECT pg_advisory_xact_lock(hashtext('sitewatt.live.' || current_schema()))");
          for (let i = 0; i < batch.length; i += BATCH_SPAN) {
            const chunk = batch.slice(i, i + BATCH_SPAN);
            const payload = JSON.stringify(chunk.map((r): Row => [r.metricPk, r.metricId, r.ts, r.value]));
            await c.query('INSERT INTO live_batches (payload) VALUES ($1)', [payload]);
          }
          await c.query(`SELECT pg_notify($1, current_schema() || ' live')`, [CHANNEL]);
        });
      } catch (err) {
        // The readings are stored; only live streams miss them (charts have them).
        onError(err);
      }
    },
    catchUp,
  };
  hub.useRelay(relay);
  await catchUp();

  // A connection of its own: LISTEN belongs to a session, which a pool's connections are not.
  let listener: pg.Client | null = null;
  const listen = async () => {
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (n) => {
      const [from, kind, id] = (n.payload ?? '').split(' ');
      if (from !== schema) return;
      if (kind === 'live') catchUp().catch(onError);
      else if (kind === 'access') hub.accessChanged(null);
      else if (kind === 'subscription' && id) hub.subscriptionChanged(id);
    });
    client.on('error', (err) => {
      onError(err);
      reconnect(client);
    });
    client.on('end', () => reconnect(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
  };
  // Whatever happened while not listening is read from the table, and every stream checks access.
  const reconnect = (dead: pg.Client) => {
    if (stopped || listener !== dead) return;
    listener = null;
    const retry = () => {
      if (stopped) return;
      listen().then(
        () => {
          hub.accessChanged(null);
          catchUp().catch(onError);
        },
        (err: unknown) => {
          onError(err);
          setTimeout(retry, 1_000).unref();
        },
      );
    };
    setTimeout(retry, 200).unref();
  };
  await listen();
  const polling = setInterval(() => catchUp().catch(onError), pollMs);
  polling.unref();

  return {
    relay,
    async stop() {
      stopped = true;
      clearInterval(polling);
      const l = listener;
      listener = null;
      await reading;
      await l?.end().catch(() => {});
    },
  };
}

/** Deletes batches older than `keepMs`; a Last-Event-ID older than what remains gets a reset. */
export async function pruneLive(pool: pg.Pool, keepMs: number): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM live_batches WHERE created_at < now() - $1 * interval '1 millisecond'`,
    [keepMs],
  );
  return rowCount ?? 0;
}
