// Alarm webhooks against a local receiver (an ephemeral port, allow-listed): signature, retries,
// the durable outbox, and the SSRF guard without the allow-list.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { testConfig } from '../../../src/config.js';
import { isPublicAddress } from '../../../src/services/webhook-send.js';
import { nextAttemptAt, WEBHOOK_DEFAULTS } from '../../../src/services/webhooks.js';
import { buildTestApp, createWorld, injectAs, type TestUser } from '../../helpers/app.js';

const SECRET = 'whsec_test_0123456789abcdef';
const MIN = 60_000;
const T0 = Math.floor((Date.now() - 2 * 3600_000) / MIN) * MIN;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}
let receiver: Server;
let received: Received[];
/** Status codes the receiver answers with, in turn; then 200. */
let answers: number[];
let receiverUrl: string;
let dir: string;
const apps: App[] = [];

beforeEach(async () => {
  received = [];
  answers = [];
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/sitewatt`;
  dir = mkdtempSync(join(tmpdir(), 'sitewatt-webhooks-'));
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await new Promise((r) => receiver.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function start(webhooks: Partial<ReturnType<typeof testConfig>['webhooks']> = {}, databasePath = ':memory:') {
  const app = await buildTestApp({
    databasePath,
    webhooks: { allowHosts: ['127.0.0.1'], dispatchMs: 20, retryBaseMs: 50, ...webhooks },
  });
  apps.push(app);
  return app;
}

async function addHook(app: App, user: TestUser, siteId: string, body: Record<string, unknown>) {
  return injectAs(app, user, { method: 'POST', url: `/api/sites/${siteId}/webhooks`, payload: body });
}

async function raiseAlarm(app: App, w: Awaited<ReturnType<typeof createWorld>>) {
  const soc = w.metrics.find((m) => m.key === 'soc')!;
  const rule = await injectAs(app, w.technician, {
    method: 'POST',
    url: `/api/metrics/${soc.id}/alarm-rules`,
    payload: { condition: 'below', threshold: 10, severity: 'critical' },
  });
  expect(rule.statusCode).toBe(201);
  const res = await injectAs(app, w.technician, {
    method: 'POST',
    url: '/api/readings',
    payload: { readings: [{ metricId: soc.id, timestamp: at(0), value: 3 }] },
  });
  expect(res.statusCode).toBe(200);
}

async function until<T>(what: () => T | undefined | false, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v) return v;
    if (Date.now() > end) throw new Error('waited in vain');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Verification as docs/alarms.md shows it to receivers. */
function verify(header: string, body: string, secret: string) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
  return parts.v1 === expected && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
}

describe('POST /api/sites/:siteId/webhooks and delivery', () => {
  it('When an alarm is raised, then the receiver gets a signed JSON POST that verifies, and the secret is never shown', async () => {
    const app = await start();
    const w = await createWorld(app);
    const created = await addHook(app, w.admin, w.site.id, { url: receiverUrl, secret: SECRET });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.body).not.toContain(SECRET);
    const listed = await injectAs(app, w.admin, { url: `/api/sites/${w.site.id}/webhooks` });
    expect(listed.body).not.toContain(SECRET);
    expect(listed.json().items[0]).toMatchObject({
      url: receiverUrl,
      severities: ['critical', 'major', 'minor', 'warning'],
    });

    await raiseAlarm(app, w);
    const got = await until(() => received[0]);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['sitewatt-event']).toBe('alarm.raised');
    expect(verify(got.headers['sitewatt-signature'] as string, got.body, SECRET)).toBe(true);
    expect(verify(got.headers['sitewatt-signature'] as string, got.body, 'another secret, not ours')).toBe(false);
    expect(JSON.parse(got.body)).toMatchObject({
      type: 'alarm.raised',
      alarm: { severity: 'critical', state: 'active', site: { id: w.site.id } },
    });
  });

  it('When the receiver fails at first, then the delivery is retried with backoff and every attempt is recorded for admins', async () => {
    const app = await start();
    const w = await createWorld(app);
    answers = [500, 503];
    const hook = (await addHook(app, w.admin, w.site.id, { url: receiverUrl, secret: SECRET })).json();
    await raiseAlarm(app, w);
    await until(() => received.length >= 3);
    const url = `/api/sites/${w.site.id}/webhooks/${hook.id}/deliveries`;
    const deliveries = await (async () => {
      for (;;) {
        const d = (await injectAs(app, w.admin, { url })).json().items;
        if (d[0]?.state === 'delivered') return d;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    expect(deliveries[0].attempts.map((a: { statusCode: number; ok: boolean }) => [a.statusCode, a.ok])).toEqual([
      [500, false],
      [503, false],
      [200, true],
    ]);
    // The same bytes each time: a receiver may deduplicate on them.
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    const viewer = await injectAs(app, w.technician, { url });
    expect(viewer.statusCode).toBe(403);
    expect((await injectAs(app, w.outsider, { url })).statusCode).toBe(404);
  });

  it('When the process stops before sending, then a restart on the same database delivers it (the outbox)', async () => {
    const databasePath = join(dir, 'outbox.db');
    const first = await start({ dispatchMs: 0 }, databasePath);
    const w = await createWorld(first);
    await addHook(first, w.admin, w.site.id, { url: receiverUrl, secret: SECRET });
    await raiseAlarm(first, w);
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    expect(received).toEqual([]);
    await start({}, databasePath);
    const got = await until(() => received[0]);
    expect(JSON.parse(got.body).type).toBe('alarm.raised');
  });

  it('When a technician adds a webhook, then 403; nothing is stored', async () => {
    const app = await start();
    const w = await createWorld(app);
    expect((await addHook(app, w.technician, w.site.id, { url: receiverUrl, secret: SECRET })).statusCode).toBe(403);
    expect(await app.repos.webhooks.ofSite(w.site.id)).toEqual([]);
  });
});

describe('nextAttemptAt', () => {
  it('When attempts keep failing, then the delays double up to 30 minutes and the retries span more than an hour', () => {
    const delays: number[] = [];
    for (let n = 1; ; n++) {
      const next = nextAttemptAt(n, 0, WEBHOOK_DEFAULTS);
      if (next === null) break;
      delays.push(next);
    }
    expect(delays.slice(0, 4)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(Math.max(...delays)).toBe(30 * 60_000);
    expect(delays.reduce((a, b) => a + b, 0)).toBeGreaterThan(3600_000);
  });
});

describe('The SSRF guard', () => {
  it('When the allow-list is empty, then loopback, private and metadata addresses are refused with 422', async () => {
    const app = await start({ allowHosts: [] });
    const w = await createWorld(app);
    for (const url of [
      receiverUrl,
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
    ]) {
      const res = await addHook(app, w.admin, w.site.id, { url, secret: SECRET });
      expect(res.statusCode, url).toBe(422);
      expect(res.json().errors[0].path).toBe('/url');
    }
    const ftp = await addHook(app, w.admin, w.site.id, { url: 'ftp://example.com/', secret: SECRET });
    expect(ftp.statusCode).toBe(422);
  });

  it('When a host name resolves to loopback and is not allowed, then the attempt is refused and recorded; the receiver gets nothing', async () => {
    const app = await start({ allowHosts: [] });
    const w = await createWorld(app);
    const port = (receiver.address() as AddressInfo).port;
    const hook = await addHook(app, w.admin, w.site.id, { url: `http://localhost:${port}/x`, secret: SECRET });
    expect(hook.statusCode).toBe(201);
    await raiseAlarm(app, w);
    const url = `/api/sites/${w.site.id}/webhooks/${hook.json().id}/deliveries`;
    const attempt = await (async () => {
      for (;;) {
        const d = (await injectAs(app, w.admin, { url })).json().items[0];
        if (d?.attempts.length) return d.attempts[0];
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    expect(attempt).toMatchObject({ ok: false, statusCode: null });
    expect(attempt.error).toMatch(/private or reserved address/);
    expect(received).toEqual([]);
  });

  it('When addresses are checked, then every refused range is refused and a public address passes', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      'fc00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
    ])
      expect(isPublicAddress(a), a).toBe(false);
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(isPublicAddress(a), a).toBe(true);
  });
});
