// Webhooks of a site and their outbox on PostgreSQL: the twin of ../../repositories/webhooks.ts.
// Deliveries are written by the alarms repository in the transaction of the alarm change; here they
// are claimed, attempted and recorded. Claiming skips rows another process holds (FOR UPDATE SKIP
// LOCKED) besides honouring the lease, so two processes never send one delivery at once.
import type { Severity } from '../../../alarms/evaluate.js';
import type { Repositories } from '../../repositories/index.js';
import type { AttemptRow, DeliveryRow, DueDelivery, Webhook } from '../../repositories/webhooks.js';
import { newId } from '../../ids.js';
import { named, transaction, type PgHandle, type Queryable } from './sql.js';

type WebhookRow = Omit<Webhook, 'severities'> & { severities: string };
const toWebhook = (r: WebhookRow): Webhook => ({
  ...r,
  severities: r.severities.split(',').filter(Boolean) as Severity[],
});
const COLS = `id, site_id AS "siteId", url, severities, enabled, created_at AS "createdAt", updated_at AS "updatedAt"`;
const DELIVERY_COLS = `id, webhook_id AS "webhookId", event, alarm_id AS "alarmId", state, attempts,
  next_attempt_at AS "nextAttemptAt", created_at AS "createdAt", finished_at AS "finishedAt"`;

// The secret is never in an audit row: only the fields anyone may see again.
const audited = (w: Webhook | undefined) =>
  w ? JSON.stringify({ url: w.url, severities: w.severities, enabled: w.enabled }) : null;

const byId = async (q: Queryable, id: string): Promise<Webhook | undefined> => {
  const r = (await q.query<WebhookRow>(`SELECT ${COLS} FROM webhooks WHERE id = $1`, [id])).rows[0];
  return r && toWebhook(r);
};

const audit = (
  q: Queryable,
  at: number,
  actorId: string | null,
  siteId: string,
  id: string,
  action: 'create' | 'update' | 'delete',
  before: string | null,
  after: string | null,
) =>
  q.query(
    `INSERT INTO audit_log (at, actor_id, site_id, entity_type, entity_id, action, before, after)
     VALUES ($1, $2, $3, 'webhook', $4, $5, $6, $7)`,
    [at, actorId, siteId, id, action, before, after],
  );

export function pgWebhooksRepository(db: PgHandle): Repositories['webhooks'] {
  const pool = db.$client;
  return {
    async find(id) {
      return byId(pool, id);
    },
    async ofSite(siteId) {
      const r = await pool.query<WebhookRow>(
        `SELECT ${COLS} FROM webhooks WHERE site_id = $1 ORDER BY created_at, id COLLATE "C"`,
        [siteId],
      );
      return r.rows.map(toWebhook);
    },
    async create(siteId, input, actorId) {
      const id = newId('whk');
      const at = Date.now();
      return transaction(pool, async (c) => {
        await c.query(
          named(
            `INSERT INTO webhooks (id, site_id, url, secret, severities, enabled, created_at, updated_at)
             VALUES (@id, @siteId, @url, @secret, @severities, @enabled::boolean, @at::int8, @at::int8)`,
            { ...input, id, siteId, severities: input.severities.join(','), at },
          ),
        );
        const created = (await byId(c, id))!;
        await audit(c, at, actorId, siteId, id, 'create', null, audited(created));
        return created;
      });
    },
    async update(before, input, actorId) {
      const at = Date.now();
      return transaction(pool, async (c) => {
        await c.query(
          named(
            `UPDATE webhooks SET url = @url, secret = coalesce(@secret, secret), severities = @severities,
               enabled = @enabled::boolean, updated_at = @at::int8 WHERE id = @id`,
            { ...input, id: before.id, severities: input.severities.join(','), at },
          ),
        );
        const after = (await byId(c, before.id))!;
        await audit(c, at, actorId, before.siteId, before.id, 'update', audited(before), audited(after));
        return after;
      });
    },
    async delete(before, actorId) {
      const at = Date.now();
      await transaction(pool, async (c) => {
        await c.query('DELETE FROM webhooks WHERE id = $1', [before.id]);
        await audit(c, at, actorId, before.siteId, before.id, 'delete', audited(before), null);
      });
    },
    async deliveries(webhookId, limit) {
      const rows = (
        await pool.query<DeliveryRow>(
          `SELECT ${DELIVERY_COLS} FROM webhook_deliveries WHERE webhook_id = $1
           ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $2`,
          [webhookId, limit],
        )
      ).rows;
      const attempts = (
        await pool.query<AttemptRow>(
          `SELECT delivery_id AS "deliveryId", at, ok, status_code AS "statusCode", error, duration_ms AS "durationMs"
           FROM webhook_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY at, id`,
          [rows.map((r) => r.id)],
        )
      ).rows;
      return rows.map((r) => ({ ...r, attempts: attempts.filter((a) => a.deliveryId === r.id) }));
    },
    async claimDue(now, leaseMs, limit) {
      // One statement: the lease and the rows it read are atomic; SKIP LOCKED passes over rows
      // another process is leasing at this moment.
      const r = await pool.query<DueDelivery>(
        `WITH leased AS (
           UPDATE webhook_deliveries SET locked_until = $1::int8 + $2::int8
           WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1::int8
                          AND (locked_until IS NULL OR locked_until <= $1::int8)
                        ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING id, event, body, attempts, webhook_id, next_attempt_at)
         SELECT l.id, l.event, l.body, l.attempts, w.url, w.secret FROM leased l JOIN webhooks w ON w.id = l.webhook_id
         ORDER BY l.next_attempt_at, l.id COLLATE "C"`,
        [now, leaseMs, limit],
      );
      return r.rows;
    },
    async recordAttempt(id, attempt, retryAt) {
      await transaction(pool, async (c) => {
        await c.query(
          `INSERT INTO webhook_attempts (delivery_id, at, ok, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
          [id, attempt.at, attempt.ok, attempt.statusCode, attempt.error, attempt.durationMs],
        );
        const state = attempt.ok ? 'delivered' : retryAt === null ? 'failed' : 'pending';
        const finished = state === 'pending' ? null : attempt.at + attempt.durationMs;
        await c.query(
          `UPDATE webhook_deliveries SET attempts = attempts + 1, state = $2, next_attempt_at = $3,
             locked_until = NULL, finished_at = $4 WHERE id = $1`,
          [id, state, retryAt ?? attempt.at, finished],
        );
      });
    },
    async prune(before) {
      const r = await pool.query(`DELETE FROM webhook_deliveries WHERE state != 'pending' AND finished_at < $1`, [
        before,
      ]);
      return r.rowCount ?? 0;
    },
  };
}
