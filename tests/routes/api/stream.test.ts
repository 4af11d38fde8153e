// Server-Sent Events over a real socket: inject() cannot show a response that never ends.
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../src/app.js';
import { streamsService } from '../../../src/services/streams.js';
import type { Config } from '../../../src/config.js';
import { buildTestApp, createWorld, injectAs, loginCookie, type TestUser } from '../../helpers/app.js';
import { siteLikeMain, type World } from './support.js';
import { sqlOf } from '../../helpers/sql.js';
import { openSse, type SseEvent, type SseStream } from '../../helpers/sse.js';

let app: App;
let w: World;
let port: number;
let closed: boolean;
const clients: SseStream[] = [];

beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
  closed = false;
});
afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.close();
  if (!closed) await app.close();
});

/** Opens the stream; resolves when the status line and headers have arrived. */
async function open(
  user: TestUser,
  subscriptionId: string,
  lastEventId?: string,
  ms = 10_000,
  auth: Record<string, string> = { authorization: `Bearer ${user.token}` },
): Promise<SseStream> {
  const headers: Record<string, string> = { ...auth };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const stream = await openSse(port, `/api/subscriptions/${subscriptionId}/stream`, headers, ms);
  clients.push(stream);
  return stream;
}

const T0 = Date.parse('2026-01-15T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

async function ingest(...readings: [string, number, number][]) {
  const payload = {
    readings: readings.map(([metricId, minutes, value]) => ({ metricId, timestamp: at(minutes), value })),
  };
  const res = await injectAs(app, w.admin, { method: 'POST', url: '/api/readings', payload });
  expect(res.statusCode, res.body).toBe(200);
}

async function subscribe(user: TestUser, metricIds: string[]) {
  const res = await injectAs(app, user, {
    method: 'POST',
    url: '/api/subscriptions',
    payload: { name: 'Live', metricIds },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const data = (e: SseEvent) => JSON.parse(e.data ?? 'null') as { metricId: string; timestamp: string; value: number };
const tick = (ms = 150) => new Promise((r) => setTimeout(r, ms));

describe('GET /api/subscriptions/:subscriptionId/stream', () => {
  it('When a client asks the stream with HEAD, then it gets an answer at once (404) and holds no stream slot (it waited for ever)', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const head = () =>
      new Promise<number>((resolve, reject) => {
        const req = request({
          method: 'HEAD',
          host: '127.0.0.1',
          port,
          path: `/api/subscriptions/${sub}/stream`,
          headers: { authorization: `Bearer ${w.technician.token}` },
          agent: false,
        });
        const timer = setTimeout(() => reject(new Error('no answer to HEAD in 3 s')), 3000);
        req.on('response', (res) => {
          clearTimeout(timer);
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await Promise.all(Array.from({ length: 11 }, head))).toEqual(Array(11).fill(404));
    expect((await open(w.technician, sub)).status).toBe(200);
  });

  it('When a page opens the stream with its session cookie a few minutes after the last touch, then the stream answer re-sends the cookie with the idle expiry moved', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const cookie = await loginCookie(app, w.technician.email);
    await app.inject({ url: '/api/me', headers: { cookie } }); // the first touch after sign-in
    vi.setSystemTime(t0 + 5 * 60_000);
    const s = await open(w.technician, sub, undefined, 10_000, { cookie });
    expect(s.status).toBe(200);
    const sent = s.headers['set-cookie']?.[0] ?? '';
    expect(sent.split(';')[0]).toBe(cookie);
    expect(Date.parse(/Expires=([^;]+)/.exec(sent)?.[1] ?? '')).toBe(Math.floor((t0 + 35 * 60_000) / 1000) * 1000);
  });

  it('When a reading of a subscribed metric is ingested, then the open stream gets an event with its id, metric, timestamp and value', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const s = await open(w.technician, sub);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    // The security headers every other answer carries (the stream writes its head itself).
    expect(s.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(s.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(s.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(s.headers['x-content-type-options']).toBe('nosniff');
    await ingest([w.metrics[0].id, 0, 42.5]);
    const [e] = await s.waitFor('reading', 1);
    expect(e.id).toMatch(/^[0-9a-f]+-\d+$/);
    expect(data(e)).toEqual({ metricId: w.metrics[0].id, timestamp: at(0), value: 42.5 });
  });

  it('When a client reconnects with the Last-Event-ID of its first event, then it gets exactly the readings it missed and then new ones', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id, w.metrics[1].id]);
    const first = await open(w.technician, sub);
    await ingest([w.metrics[0].id, 0, 1]);
    const [e1] = await first.waitFor('reading', 1);
    first.close();
    await first.ended;

    await ingest([w.metrics[0].id, 1, 2]);
    await ingest([w.metrics[1].id, 1, 3], [w.metrics[0].id, 2, 4]);
    const again = await open(w.technician, sub, e1.id);
    await again.waitFor('reading', 3);
    await ingest([w.metrics[0].id, 3, 5]);
    const events = await again.waitFor('reading', 4);
    await tick();
    expect(again.events.map(data).map((d) => d.value)).toEqual([2, 3, 4, 5]);
    // Ids keep increasing, so the client's next Last-Event-ID is always the newest.
    const seqs = events.map((e) => Number(e.id!.split('-')[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(4);
  });

  it('When the Last-Event-ID is unknown (another server start), then the stream begins with a reset event', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const s = await open(w.technician, sub, 'deadbeef-17');
    const [reset] = await s.waitFor('reset', 1);
    expect(reset.id).toMatch(/^[0-9a-f]+-\d+$/);
    expect(s.events.filter((e) => e.event === 'reading')).toEqual([]);
  });

  it('When readings of metrics outside the subscription are ingested, then they are not sent', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const s = await open(w.technician, sub);
    await ingest([w.metrics[1].id, 0, 111]);
    await ingest([w.metrics[0].id, 0, 1]);
    await s.waitFor('reading', 1);
    await tick();
    expect(s.events.map(data)).toEqual([{ metricId: w.metrics[0].id, timestamp: at(0), value: 1 }]);
  });

  it('When a user opens an 11th stream, then it gets 429; closing one frees a place', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const ten: SseStream[] = [];
    for (let i = 0; i < 10; i++) ten.push(await open(w.technician, sub));
    expect(ten.map((s) => s.status)).toEqual(Array(10).fill(200));
    const eleventh = await open(w.technician, sub);
    expect(eleventh.status).toBe(429);
    expect(eleventh.headers['content-type']).toMatch(/^application\/problem\+json/);
    await eleventh.ended;
    expect(JSON.parse(eleventh.body)).toMatchObject({ status: 429, code: 'TOO_MANY_STREAMS' });
    // Another user is not affected.
    const other = await open(w.viewer, await subscribe(w.viewer, [w.metrics[0].id]));
    expect(other.status).toBe(200);

    ten[0].close();
    await ten[0].ended;
    let next: SseStream | undefined;
    for (let i = 0; i < 20 && next?.status !== 200; i++) {
      await tick(50);
      next = await open(w.technician, sub);
    }
    expect(next!.status).toBe(200);
  });

  it("When the owner loses a site's membership, then that site's readings stop arriving on the open stream", async () => {
    const twin = await siteLikeMain(app, w);
    const sub = await subscribe(w.technician, [w.metrics[0].id, twin.metrics[0].id]);
    const s = await open(w.technician, sub);
    await ingest([twin.metrics[0].id, 0, 1]);
    await s.waitFor('reading', 1);

    const removed = await injectAs(app, w.admin, {
      method: 'DELETE',
      url: `/api/sites/${twin.site.id}/members/${w.technician.id}`,
    });
    expect(removed.statusCode).toBe(204);
    await tick(50);
    await ingest([twin.metrics[0].id, 1, 2]);
    await ingest([w.metrics[0].id, 1, 3]);
    await s.waitFor('reading', 2);
    await tick();
    expect(s.events.map(data).map((d) => [d.metricId, d.value])).toEqual([
      [twin.metrics[0].id, 1],
      [w.metrics[0].id, 3],
    ]);
  });

  it('When the server closes, then open streams end', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const a = await open(w.technician, sub);
    const b = await open(w.technician, sub);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error('streams did not end')), 5000)),
    );
    closed = true;
    await Promise.race([Promise.all([app.close(), a.ended, b.ended]), timeout]);
    clearTimeout(timer);
    expect(app.services.streams.openCount).toBe(0);
  });
  it('When the owner replaces the metric set, then the open stream follows the new set; when the owner deletes it, the stream ends', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const s = await open(w.technician, sub);
    const patched = await injectAs(app, w.technician, {
      method: 'PATCH',
      url: `/api/subscriptions/${sub}`,
      payload: { metricIds: [w.metrics[1].id] },
    });
    expect(patched.statusCode).toBe(200);
    await tick(50);
    await ingest([w.metrics[0].id, 0, 1], [w.metrics[1].id, 0, 2]);
    await s.waitFor('reading', 1);
    await tick();
    expect(s.events.map(data).map((d) => d.value)).toEqual([2]);

    expect((await injectAs(app, w.technician, { method: 'DELETE', url: `/api/subscriptions/${sub}` })).statusCode).toBe(
      204,
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      s.ended,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('stream did not end')), 3000))),
    ]);
    clearTimeout(timer);
    expect(app.services.streams.openCount).toBe(0);
  });
});

/** A fresh app with other settings (a short credential re-check), listening like the one before it. */
async function restart(overrides: Partial<Config>) {
  await app.close();
  app = await buildTestApp(overrides);
  w = await createWorld(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
}

async function endsWithin(s: SseStream, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    s.ended,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms))),
  ]);
  clearTimeout(timer);
}

async function expectOpenFor(s: SseStream, ms: number) {
  expect(await Promise.race([s.ended.then(() => 'ended'), tick(ms).then(() => 'open')])).toBe('open');
}

const cookieOf = async (user: TestUser) => ({ cookie: await loginCookie(app, user.email) });
const bearerOf = (token: string) => ({ authorization: `Bearer ${token}` });
/** A token made the way a person makes one: signed in, with a session. */
async function mintToken(user: TestUser, payload: object = { name: 'live' }) {
  const res = await app.inject({ method: 'POST', url: '/api/me/tokens', headers: await cookieOf(user), payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; token: string };
}

// With the default settings (a re-check every 5 s), a stream that ends within 2 s was ended by this
// process's own event; the expiries and the other-process cases run with a 100 ms re-check.
describe('GET /api/subscriptions/:subscriptionId/stream, when its credential ends', () => {
  it('When the session that opened a stream signs out, then the stream ends within seconds and reconnecting gets 401', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const auth = await cookieOf(w.technician);
    const s = await open(w.technician, sub, undefined, 10_000, auth);
    expect(s.status).toBe(200);
    const other = await open(w.technician, sub); // the same user's token: not signed out
    expect((await app.inject({ method: 'POST', url: '/api/auth/logout', headers: auth, payload: {} })).statusCode).toBe(
      204,
    );
    await endsWithin(s, 2000);
    expect((await open(w.technician, sub, undefined, 10_000, auth)).status).toBe(401);
    await expectOpenFor(other, 300);
    expect(app.services.streams.openCount).toBe(1);
  });

  it("When an admin resets the user's password, then the user's streams end, whether a session or a token opened them", async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const bySession = await open(w.technician, sub, undefined, 10_000, await cookieOf(w.technician));
    const byToken = await open(w.technician, sub);
    const byViewer = await open(w.viewer, await subscribe(w.viewer, [w.metrics[0].id]));
    const reset = await injectAs(app, w.admin, {
      method: 'PATCH',
      url: `/api/users/${w.technician.id}`,
      payload: { password: 'a brand new password' },
    });
    expect(reset.statusCode).toBe(200);
    await Promise.all([endsWithin(bySession, 2000), endsWithin(byToken, 2000)]);
    await expectOpenFor(byViewer, 300);
  });

  it('When the token that opened a stream is revoked, by its owner or by an admin, then the stream ends within seconds', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const mine = await mintToken(w.technician);
    const theirs = await mintToken(w.technician);
    const s1 = await open(w.technician, sub, undefined, 10_000, bearerOf(mine.token));
    const s2 = await open(w.technician, sub, undefined, 10_000, bearerOf(theirs.token));
    const kept = await open(w.technician, sub); // another token of the same user
    expect([s1.status, s2.status, kept.status]).toEqual([200, 200, 200]);
    const own = await injectAs(app, w.technician, { method: 'DELETE', url: `/api/me/tokens/${mine.id}` });
    expect(own.statusCode).toBe(204);
    await endsWithin(s1, 2000);
    await expectOpenFor(s2, 200);
    const byAdmin = await injectAs(app, w.admin, {
      method: 'DELETE',
      url: `/api/users/${w.technician.id}/tokens/${theirs.id}`,
    });
    expect(byAdmin.statusCode).toBe(204);
    await endsWithin(s2, 2000);
    await expectOpenFor(kept, 200);
    await ingest([w.metrics[0].id, 0, 7]);
    await kept.waitFor('reading', 1);
    expect(s1.events.filter((e) => e.event === 'reading')).toEqual([]);
  });

  it('When the session that opened a stream passes its idle expiry (30 minutes without a request), then the stream ends', async () => {
    await restart({ streamRecheckMs: 100 });
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const auth = await cookieOf(w.technician);
    const s = await open(w.technician, sub, undefined, 10_000, auth);
    vi.setSystemTime(t0 + 29 * 60_000);
    await expectOpenFor(s, 400);
    vi.setSystemTime(t0 + 31 * 60_000);
    await endsWithin(s, 2000);
    expect((await open(w.technician, sub, undefined, 10_000, auth)).status).toBe(401);
  });

  it('When the session that opened a stream passes its 12-hour lifetime, though kept busy, then the stream ends', async () => {
    await restart({ streamRecheckMs: 100 });
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const auth = await cookieOf(w.technician);
    const s = await open(w.technician, sub, undefined, 10_000, auth);
    for (let minutes = 20; minutes < 12 * 60; minutes += 20) {
      vi.setSystemTime(t0 + minutes * 60_000);
      expect((await app.inject({ url: '/api/me', headers: auth })).statusCode).toBe(200); // keeps it from idling
    }
    await expectOpenFor(s, 300);
    vi.setSystemTime(t0 + 12 * 60 * 60_000 + 1000);
    await endsWithin(s, 2000);
  });

  it('When the token that opened a stream expires, then the stream ends', async () => {
    await restart({ streamRecheckMs: 100 });
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const { token } = await mintToken(w.technician, { name: 'a day', expiresInDays: 1 });
    const s = await open(w.technician, sub, undefined, 10_000, bearerOf(token));
    vi.setSystemTime(t0 + 86_400_000 - 60_000);
    await expectOpenFor(s, 300);
    vi.setSystemTime(t0 + 86_400_000);
    await endsWithin(s, 2000);
  });

  it('When another process ends the session or revokes the token (rows deleted in the database, no event here), then the streams end within the re-check period', async () => {
    await restart({ streamRecheckMs: 100 });
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const bySession = await open(w.technician, sub, undefined, 10_000, await cookieOf(w.technician));
    const byToken = await open(w.technician, sub);
    await expectOpenFor(bySession, 300);
    const db = sqlOf(app);
    await db.run('DELETE FROM sessions WHERE user_id = ?', w.technician.id);
    await endsWithin(bySession, 2000);
    await expectOpenFor(byToken, 200);
    await db.run('DELETE FROM api_tokens WHERE user_id = ?', w.technician.id);
    await endsWithin(byToken, 2000);
  });

  it("When another process removes the owner's membership (in the database, no event here), then that site's readings stop within the re-check period", async () => {
    await restart({ streamRecheckMs: 100 });
    const twin = await siteLikeMain(app, w);
    const sub = await subscribe(w.technician, [w.metrics[0].id, twin.metrics[0].id]);
    const s = await open(w.technician, sub);
    await sqlOf(app).run('DELETE FROM site_members WHERE site_id = ? AND user_id = ?', twin.site.id, w.technician.id);
    await tick(400);
    await ingest([twin.metrics[0].id, 1, 2], [w.metrics[0].id, 1, 3]);
    await s.waitFor('reading', 1);
    await tick();
    expect(s.events.map(data).map((d) => [d.metricId, d.value])).toEqual([[w.metrics[0].id, 3]]);
  });
});

describe('streamsService', () => {
  it('When a stream is idle, then it sends a comment heartbeat at the configured period, and nothing after it is closed', async () => {
    const sub = await subscribe(w.technician, [w.metrics[0].id]);
    const { hub, auth, subscriptions } = app.services;
    const streams = streamsService(hub, subscriptions, { maxPerUser: 1, heartbeatMs: 20 });
    const chunks: string[] = [];
    let ended = 0;
    const actor = (await auth.loadActor(w.technician.id))!;
    const credential = () => auth.loadActor(w.technician.id);
    const close = await streams.open(actor, credential, sub, undefined, {
      write: (c) => chunks.push(c),
      end: () => ended++,
    });
    await expect(
      streams.open(actor, credential, sub, undefined, { write: () => undefined, end: () => undefined }),
    ).rejects.toMatchObject({ statusCode: 429 });
    await tick(120);
    expect(chunks[0]).toMatch(/^retry: \d+\n/);
    expect(chunks.filter((c) => c === ': heartbeat\n\n').length).toBeGreaterThanOrEqual(2);
    close();
    close(); // idempotent
    const after = chunks.length;
    await tick(60);
    expect(chunks.length).toBe(after);
    expect(ended).toBe(1);
    expect(streams.openCount).toBe(0);
  });
});
