// Webhooks of a site and their outbox. Deliveries are written by the alarms repository in the
// transaction of the alarm change; here they are claimed, attempted and recorded.
import type { Severity } from '../../alarms/evaluate.js';
import type { Db } from '../client.js';
import { newId } from '../ids.js';

export interface Webhook {
  id: string;
  siteId: string;
  url: string;
  severities: Severity[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface DeliveryRow {
  id: string;
  webhookId: string;
  event: string;
  alarmId: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  finishedAt: number | null;
}

export interface AttemptRow {
  deliveryId: string;
  at: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** A delivery claimed for an attempt, with what is needed to send it. */
export interface DueDelivery {
  id: string;
  event: string;
  body: string;
  attempts: number;
  url: string;
  secret: string;
}

type WebhookRow = Omit<Webhook, 'severities' | 'enabled'> & { severities: string; enabled: number };
const toWebhook = (r: WebhookRow): Webhook => ({
  ...r,
  severities: r.severities.split(',').filter(Boolean) as Severity[],
  enabled: r.enabled === 1,
});
const COLS = `id, site_id AS siteId, url, severities, enabled, created_at AS createdAt, updated_at AS updatedAt`;
const DELIVERY_COLS = `id, webhook_id AS webhookId, event, alarm_id AS alarmId, state, attempts,
  next_attempt_at AS nextAttemptAt, created_at AS createdAt, finished_at AS finishedAt`;

export function webhooksRepository(db: Db) {
  const c = db.$client;
  const byId = c.prepare<[string], WebhookRow>(`SELECT ${COLS} FROM webhooks WHERE id = ?`);
  const ofSite = c.prepare<[string], WebhookRow>(
    `SELECT ${COLS} FROM webhooks WHERE site_id = ? ORDER BY created_at, id`,
  );
  const insert = c.prepare(
    `INSERT INTO webhooks (id, site_id, url, secret, severities, enabled, created_at, updated_at)
     VALUES (@id, @siteId, @url, @secret, @severities, @enabled, @at, @at)`,
  );
  const update = c.prepare(
    `UPDATE webhooks SET url = @url, secret = coalesce(@secret, secret), severities = @severities,
       enabled = @enabled, updated_at = @at WHERE id = @id`,
  );
  const remove = c.prepare('DELETE FROM webhooks WHERE id = ?');
  const audit = c.prepare(
    `INSERT INTO audit_log (at, actor_id, site_id, entity_type, entity_id, action, before, after)
     VALUES (?, ?, ?, 'webhook', ?, ?, ?, ?)`,
  );
  // The secret is never in an audit row: only the fields anyone may see again.
  const audited = (w: Webhook | undefined) =>
    w ? JSON.stringify({ url: w.url, severities: w.severities, enabled: w.enabled }) : null;

  const deliveries = c.prepare<[string, number], DeliveryRow>(
    `SELECT ${DELIVERY_COLS} FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
  );
  const attemptsOf = c.prepare<[string], Omit<AttemptRow, 'ok'> & { ok: number }>(
    `SELECT delivery_id AS deliveryId, at, ok, status_code AS statusCode, error, duration_ms AS durationMs
     FROM webhook_attempts WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY at, id`,
  );
  // Claiming sets a lease: another process skips a row whose lease has not run out.
  const lease = c
    .prepare<[{ now: number; lease: number; limit: number }], string>(
      `UPDATE webhook_deliveries SET locked_until = @now + @lease
       WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= @now
                      AND (locked_until IS NULL OR locked_until <= @now) ORDER BY next_attempt_at LIMIT @limit)
       RETURNING id`,
    )
    .pluck(true);
  const leased = c.prepare<[string], DueDelivery>(
    `SELECT d.id, d.event, d.body, d.attempts, w.url, w.secret FROM webhook_deliveries d
     JOIN webhooks w ON w.id = d.webhook_id WHERE d.id IN (SELECT value FROM json_each(?))`,
  );
  const claim = c.transaction((now: number, leaseMs: number, limit: number) => {
    const ids = lease.all({ now, lease: leaseMs, limit });
    return ids.length === 0 ? [] : leased.all(JSON.stringify(ids));
  });
  const addAttempt = c.prepare(
    `INSERT INTO webhook_attempts (delivery_id, at, ok, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const settle = c.prepare(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, state = @state, next_attempt_at = @next,
       locked_until = NULL, finished_at = @finished WHERE id = @id`,
  );
  const prune = c.prepare(`DELETE FROM webhook_deliveries WHERE state != 'pending' AND finished_at < ?`);

  return {
    async find(id: string): Promise<Webhook | undefined> {
      const r = byId.get(id);
      return r && toWebhook(r);
    },
    async ofSite(siteId: string): Promise<Webhook[]> {
      return ofSite.all(siteId).map(toWebhook);
    },
    async create(
      siteId: string,
      input: { url: string; secret: string; severities: Severity[]; enabled: boolean },
      actorId: string | null,
    ): Promise<Webhook> {
      const id = newId('whk');
      const at = Date.now();
      return c.transaction(() => {
        insert.run({
          ...input,
          id,
          siteId,
          severities: input.severities.join(','),
          enabled: input.enabled ? 1 : 0,
          at,
        });
        const created = toWebhook(byId.get(id)!);
        audit.run(at, actorId, siteId, id, 'create', null, audited(created));
        return created;
      })();
    },
    /** `secret` null keeps the stored one. */
    async update(
      before: Webhook,
      input: { url: string; secret: string | null; severities: Severity[]; enabled: boolean },
      actorId: string | null,
    ): Promise<Webhook> {
      const at = Date.now();
      return c.transaction(() => {
        update.run({
          ...input,
          id: before.id,
          severities: input.severities.join(','),
          enabled: input.enabled ? 1 : 0,
          at,
        });
        const after = toWebhook(byId.get(before.id)!);
        audit.run(at, actorId, before.siteId, before.id, 'update', audited(before), audited(after));
        return after;
      })();
    },
    async delete(before: Webhook, actorId: string | null): Promise<void> {
      const at = Date.now();
      c.transaction(() => {
        remove.run(before.id);
        audit.run(at, actorId, before.siteId, before.id, 'delete', audited(before), null);
      })();
    },
    /** The newest deliveries of a webhook, each with its attempts (oldest first). */
    async deliveries(webhookId: string, limit: number) {
      const rows = deliveries.all(webhookId, limit);
      const attempts = attemptsOf.all(JSON.stringify(rows.map((r) => r.id)));
      return rows.map((r) => ({
        ...r,
        attempts: attempts.filter((a) => a.deliveryId === r.id).map((a) => ({ ...a, ok: a.ok === 1 })),
      }));
    },
    /** Due deliveries, leased to this caller for `leaseMs`. */
    async claimDue(now: number, leaseMs: number, limit: number): Promise<DueDelivery[]> {
      return claim(now, leaseMs, limit);
    },
    /** Records an attempt and what comes next: delivered, another attempt at `retryAt`, or given up (null). */
    async recordAttempt(id: string, attempt: Omit<AttemptRow, 'deliveryId'>, retryAt: number | null): Promise<void> {
      c.transaction(() => {
        addAttempt.run(id, attempt.at, attempt.ok ? 1 : 0, attempt.statusCode, attempt.error, attempt.durationMs);
        const state = attempt.ok ? 'delivered' : retryAt === null ? 'failed' : 'pending';
        const finished = state === 'pending' ? null : attempt.at + attempt.durationMs;
        settle.run({ id, state, next: retryAt ?? attempt.at, finished });
      })();
    },
    /** Deletes finished deliveries (and their attempts) older than `before`. */
    async prune(before: number): Promise<number> {
      return prune.run(before).changes;
    },
  };
}

export type WebhooksRepository = ReturnType<typeof webhooksRepository>;
