// Per-site webhooks (admins) and the dispatcher that empties the outbox: each due delivery is sent,
// its attempt recorded, and a failure retried with exponential backoff (docs/alarms.md, "Webhooks").
import { isIP } from 'node:net';
import { SEVERITIES, type Severity } from '../alarms/evaluate.js';
import type { Repositories } from '../db/repositories/index.js';
import type { Webhook } from '../db/repositories/webhooks.js';
import { errors, invalid, type FieldError } from '../errors.js';
import type { CreateWebhookBody, UpdateWebhookBody } from '../schemas/webhooks.js';
import type { LiveHub } from './live.js';
import { requireSite, requireSiteAdmin, type Actor } from './policy.js';
import { iso } from './views.js';
import { isPublicAddress, sendWebhook, urlProblem } from './webhook-send.js';

export interface WebhookOptions {
  /** Hosts (as written in URLs) that may resolve to private addresses: WEBHOOK_ALLOW_HOSTS. */
  allowHosts: string[];
  /** The first retry's delay; each next one doubles, up to `maxDelayMs`. */
  retryBaseMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  timeoutMs: number;
  maxResponseBytes: number;
  /** How long a claimed delivery is this process's before another may try it. */
  leaseMs: number;
  /** Finished deliveries are kept this long (their attempts with them). */
  keepMs: number;
}

export const WEBHOOK_DEFAULTS: WebhookOptions = {
  allowHosts: [],
  retryBaseMs: 30_000,
  maxDelayMs: 30 * 60_000,
  maxAttempts: 12,
  timeoutMs: 10_000,
  maxResponseBytes: 64 * 1024,
  leaseMs: 60_000,
  keepMs: 30 * 24 * 3600_000,
};

/** When the attempt after `attempts` failed ones is due, or null once they are all spent. */
export function nextAttemptAt(
  attempts: number,
  now: number,
  o: Pick<WebhookOptions, 'retryBaseMs' | 'maxDelayMs' | 'maxAttempts'>,
) {
  if (attempts >= o.maxAttempts) return null;
  return now + Math.min(o.retryBaseMs * 2 ** (attempts - 1), o.maxDelayMs);
}

const view = (w: Webhook) => ({
  id: w.id,
  siteId: w.siteId,
  url: w.url,
  severities: w.severities,
  enabled: w.enabled,
  createdAt: iso(w.createdAt),
  updatedAt: iso(w.updatedAt),
});

const notFound = () => new errors.WEBHOOK_NOT_FOUND();

export function webhooksService(repos: Repositories, hub: LiveHub, options: Partial<WebhookOptions> = {}) {
  const o = { ...WEBHOOK_DEFAULTS, ...options };

  /** A URL's problems that need no DNS; an address written in it must be public unless allow-listed. */
  function checkUrl(url: string): FieldError[] {
    const problem = urlProblem(url);
    if (problem) return [{ path: '/url', message: problem }];
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (isIP(host) && !isPublicAddress(host) && !o.allowHosts.includes(host))
      return [{ path: '/url', message: 'Is a private or reserved address (see WEBHOOK_ALLOW_HOSTS)' }];
    return [];
  }
  async function load(actor: Actor, siteId: string, webhookId: string) {
    await admin(actor, siteId);
    const w = await repos.webhooks.find(webhookId);
    if (!w || w.siteId !== siteId) throw notFound();
    return w;
  }
  async function admin(actor: Actor, siteId: string) {
    await requireSite(actor, siteId, repos.sites.exists, () => new errors.SITE_NOT_FOUND());
    requireSiteAdmin(actor, siteId, "manage this site's webhooks");
  }
  const severitiesOf = (s: Severity[] | undefined): Severity[] => [...new Set<Severity>(s ?? [...SEVERITIES])];

  let lastPrune = 0;

  return {
    async list(actor: Actor, siteId: string) {
      await admin(actor, siteId);
      return { items: (await repos.webhooks.ofSite(siteId)).map(view) };
    },

    async create(actor: Actor, siteId: string, body: CreateWebhookBody) {
      await admin(actor, siteId);
      const problems = checkUrl(body.url);
      if (problems.length) throw invalid(problems);
      const input = {
        url: body.url,
        secret: body.secret,
        severities: severitiesOf(body.severities),
        enabled: body.enabled ?? true,
      };
      return view(await repos.webhooks.create(siteId, input, actor.id));
    },

    async update(actor: Actor, siteId: string, webhookId: string, patch: UpdateWebhookBody) {
      const before = await load(actor, siteId, webhookId);
      const url = patch.url ?? before.url;
      const problems = checkUrl(url);
      if (problems.length) throw invalid(problems);
      const input = {
        url,
        secret: patch.secret ?? null,
        severities: patch.severities ? severitiesOf(patch.severities) : before.severities,
        enabled: patch.enabled ?? before.enabled,
      };
      return view(await repos.webhooks.update(before, input, actor.id));
    },

    async remove(actor: Actor, siteId: string, webhookId: string) {
      const before = await load(actor, siteId, webhookId);
      await repos.webhooks.delete(before, actor.id);
    },

    /** The newest deliveries with every attempt: what an admin checks when a receiver saw nothing. */
    async deliveries(actor: Actor, siteId: string, webhookId: string, limit = 50) {
      await load(actor, siteId, webhookId);
      const rows = await repos.webhooks.deliveries(webhookId, limit);
      return {
        items: rows.map((d) => ({
          id: d.id,
          event: d.event,
          alarmId: d.alarmId,
          state: d.state,
          createdAt: iso(d.createdAt),
          nextAttemptAt: d.state === 'pending' ? iso(d.nextAttemptAt) : null,
          finishedAt: d.finishedAt === null ? null : iso(d.finishedAt),
          attempts: d.attempts.map((a) => ({
            at: iso(a.at),
            ok: a.ok,
            statusCode: a.statusCode,
            error: a.error,
            durationMs: a.durationMs,
          })),
        })),
      };
    },

    /** The site's webhooks page: its webhooks, each with its latest deliveries. */
    async sitePage(actor: Actor, siteId: string) {
      await admin(actor, siteId);
      const site = (await repos.sites.findById(siteId))!;
      const hooks = await repos.webhooks.ofSite(siteId);
      const items = [];
      for (const w of hooks)
        items.push({ ...view(w), deliveries: (await this.deliveries(actor, siteId, w.id, 10)).items });
      return { site: { id: site.id, name: site.name }, webhooks: items };
    },

    /**
     * Sends what is due: claims a batch (a lease, so two processes never send one delivery at
     * once), attempts each, and records how it went. Returns how many were attempted.
     */
    async dispatch(now = Date.now()) {
      if (now - lastPrune > 3600_000) {
        lastPrune = now;
        await repos.webhooks.prune(now - o.keepMs);
      }
      const due = await repos.webhooks.claimDue(now, o.leaseMs, 20);
      await Promise.all(
        due.map(async (d) => {
          const started = Date.now();
          const outcome = await sendWebhook(d, d, o, started);
          const retryAt = outcome.ok ? null : nextAttemptAt(d.attempts + 1, Date.now(), o);
          await repos.webhooks.recordAttempt(
            d.id,
            { at: started, durationMs: Date.now() - started, ...outcome },
            retryAt,
          );
        }),
      );
      return due.length;
    },

    /** Dispatches every `everyMs` and soon after this process changes an alarm; returns the stop function. */
    start(everyMs: number, onError: (err: unknown) => void) {
      let running: Promise<void> | null = null;
      let again = false;
      const run = () => {
        again = true;
        running ??= (async () => {
          while (again) {
            again = false;
            while ((await this.dispatch()) > 0);
          }
        })()
          .catch(onError)
          .finally(() => (running = null));
      };
      const timer = setInterval(run, everyMs).unref();
      const stop = hub.onAlarmsChanged(run);
      return async () => {
        clearInterval(timer);
        stop();
        await running;
      };
    },
  };
}

export type WebhooksService = ReturnType<typeof webhooksService>;
