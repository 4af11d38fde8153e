// Property-based fuzzing of every operation in the served /openapi.json.
// Valid and invalid requests (path ids real or random, query and body from the operation's own
// schema, or mutated: text past U+00FF, years 0000-0099 and 9999, lists of 100,000 wrong items),
// as an admin, as a member of another site only, anonymously, and (on the telemetry routes) with
// the device's ingest key. The world holds one of each resource a path names (an alarm rule, an
// active alarm, a webhook …), so valid paths reach the operation.
// Pass: no 5xx, every response declared by the document and matching its schema and answered
// within STALL_MS, /healthz still up.
// Small on every run; `npm run fuzz` (tools/fuzz.ts) sets FUZZ_RUNS=1000 for the nightly size.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { deviceEtag } from '../../src/services/views.js';
import { buildTestApp, createWorld, injectAs } from '../helpers/app.js';
import { contract, operations, type OpenApiDocument, type Op } from './openapi-contract.js';
import { hostileString, idArbitrary, invalid, queryValue, valid, type Hints } from './schema-arbitrary.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
// argon2 makes every sign-in cost ~50 ms; the rate limit answers most of them after 30 anyway.
const LOGIN_RUNS = Math.min(RUNS, 40);
/** The SSE streams (as the document declares them): a 200 never ends by itself, so they are read over a socket and hung up. */
const isStream = ({ op }: Op) => Object.values(op.responses).some((r) => r.content?.['text/event-stream']);
/** Longer than any honest answer takes, even on a busy test machine; 100,000 wrong items once took 30 s and more. */
const STALL_MS = 5_000;

let app: App;
let doc: OpenApiDocument;
let check: ReturnType<typeof contract>;
let base: string;
/** The world's webhooks point here; nothing may arrive (below). */
let receiver: Server;
let receiverUrl: string;
let received = 0;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    received += 1;
    res.end();
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/sitewatt`;
  // Loopback is refused unless allowed (WEBHOOK_ALLOW_HOSTS). Dispatch stays off as in every test
  // (dispatchMs 0): the deliveries alarms queue are only listed, never sent.
  app = await buildTestApp({ webhooks: { allowHosts: ['127.0.0.1'], dispatchMs: 0, retryBaseMs: 30_000 } });
  doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  check = contract(doc);
  // Streams never end, which inject() cannot show: they go over a real socket.
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app.close();
  await new Promise((done) => receiver.close(done));
});

/** A fresh cast for each operation, so one operation's deletes do not starve the next one's cases. */
async function world() {
  const w = await createWorld(app);
  const sub = await injectAs(app, w.admin, {
    method: 'POST',
    url: '/api/subscriptions',
    payload: { name: 'Fuzz', metricIds: w.metrics.map((m) => m.id) },
  });
  const admin = (await app.services.auth.loadActor(w.admin.id))!;
  // Minted as a signed-in session would: a bearer token may not create tokens.
  const token = await app.services.auth.createToken(admin, 'session', { name: 'fuzz' });
  const key = await app.services.ingestKeys.create(admin, w.site.id, { name: 'fuzz' });
  // The device's own key: the one credential POST /api/telemetry takes.
  const deviceKey = await app.services.ingestKeys.create(admin, w.site.id, { name: 'fuzz', deviceId: w.device.id });
  // Made before the alarm, so the alarm queues a delivery for its deliveries list.
  const webhook = await app.services.webhooks.create(admin, w.site.id, {
    url: receiverUrl,
    secret: 'fuzz-webhook-secret',
  });
  // A rule every reading meets, and the alarm the reading below raised.
  const rule = await app.services.alarms.createForMetric(admin, w.metrics[0].id, {
    condition: 'above',
    threshold: -1e9,
    severity: 'minor',
  });
  await app.services.readings.ingest(admin, [
    { metricId: w.metrics[0].id, timestamp: new Date(Date.now() - 60_000).toISOString(), value: 1 },
  ]);
  const [alarm] = (await app.services.alarms.list(admin, { limit: 1, siteId: w.site.id })).items;
  const ids = [
    key.id,
    deviceKey.id,
    w.site.id,
    w.otherSite.id,
    w.device.id,
    ...w.metrics.map((m) => m.id),
    w.admin.id,
    w.technician.id,
    w.viewer.id,
    w.outsider.id,
    sub.json().id,
    token.id,
    rule.id,
    alarm.id,
    webhook.id,
  ];
  const byName = {
    siteId: [w.site.id, w.otherSite.id],
    deviceId: [w.device.id],
    metricId: w.metrics.map((m) => m.id),
    userId: [w.technician.id, w.viewer.id, w.outsider.id, w.admin.id],
    subscriptionId: [sub.json().id],
    tokenId: [token.id],
    keyId: [key.id, deviceKey.id],
    ruleId: [rule.id],
    alarmId: [alarm.id],
    webhookId: [webhook.id],
  };
  const values = { url: [receiverUrl], 'if-match': [deviceEtag(w.device)] };
  const credentials = { admin: w.admin.token, outsider: w.outsider.token, device: deviceKey.key };
  return { credentials, hints: { ids, byName, values } satisfies Hints };
}

/** The routes an ingest key may call (their config has `ingest: true`); the document does not mark them. */
const takesIngestKey = (o: Op) => o.path.endsWith('/telemetry');

interface Case {
  /** `device`: the device's ingest key, only on the routes that take one. */
  actor: 'admin' | 'outsider' | 'anonymous' | 'device';
  mutate: boolean;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body?: { payload: string; type: string };
}

/** Percent-encodes; a lone surrogate (which encodeURIComponent refuses) goes out as the invalid UTF-8 it would be. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};

/** Headers must be printable ASCII on the wire; hostile text is percent-encoded to get there. */
const headerValue = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
  hostileString.map((s) => encode(s).slice(0, 200)),
  fc.constant('x'.repeat(9000)),
);

function caseArbitrary(o: Op, hints: Hints): fc.Arbitrary<Case> {
  const { op } = o;
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const headerParams = params.filter((p) => p.in === 'header');
  const media = op.requestBody?.content['application/json'];
  // The document's examples are valid by definition: where a schema only sketches a shape the
  // service checks itself (telemetry), they are the valid bodies that reach past its 422.
  const examples = Object.values(media?.examples ?? {}).map((e) => e.value);
  const body = media && (examples.length > 0 ? { ...media.schema, examples } : media.schema);

  return fc
    .record({
      // Twice as often the caller who may (the admin, or the device's key where it is taken): the
      // valid half reaches past 401, 403 and 404 to the operation itself.
      actor: fc.oneof(
        { weight: 2, arbitrary: fc.constant<Case['actor']>('admin') },
        { weight: 1, arbitrary: fc.constantFrom<Case['actor']>('outsider', 'anonymous') },
        ...(takesIngestKey(o) ? [{ weight: 2, arbitrary: fc.constant<Case['actor']>('device') }] : []),
      ),
      mutate: fc.boolean(),
    })
    .chain(({ actor, mutate }) =>
      fc.record({
        actor: fc.constant(actor),
        mutate: fc.constant(mutate),
        params: fc.record(
          Object.fromEntries(
            pathParams.map((p) => [
              p.name,
              mutate
                ? fc.oneof(
                    fc.constantFrom(...hints.ids),
                    hostileString.filter((s) => s !== ''),
                    fc.constant('%E0%A4%A'),
                    fc.constant('x'.repeat(5000)),
                  )
                : idArbitrary(hints, p.name, valid(p.schema, { ...hints, ids: [] }, p.name) as fc.Arbitrary<string>),
            ]),
          ),
        ) as fc.Arbitrary<Record<string, string>>,
        query: fc.record(
          Object.fromEntries([
            ...queryParams.map((p) => [p.name, queryValue(p.schema, hints, p.name, mutate)]),
            ...(mutate ? [['unexpected', fc.string({ maxLength: 10 })]] : []),
          ]),
          { requiredKeys: mutate ? [] : queryParams.filter((p) => p.required).map((p) => p.name) },
        ) as fc.Arbitrary<Record<string, string | string[]>>,
        headers: fc.record(
          Object.fromEntries(
            headerParams.map((p) => [
              p.name,
              mutate
                ? headerValue
                : (valid(p.schema, hints, p.name) as fc.Arbitrary<string>).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
            ]),
          ),
          { requiredKeys: [] },
        ) as fc.Arbitrary<Record<string, string>>,
        body: body
          ? mutate
            ? fc.oneof(
                {
                  weight: 6,
                  arbitrary: invalid(body, hints).map((v) => ({
                    payload: JSON.stringify(v) ?? 'null',
                    type: 'application/json',
                  })),
                },
                {
                  weight: 1,
                  arbitrary: fc
                    .constantFrom('{"a":', '', '[', '{"__proto__":{"isAdmin":true}}', 'null')
                    .map((payload) => ({ payload, type: 'application/json' })),
                },
                {
                  weight: 1,
                  arbitrary: fc
                    .constantFrom(
                      'text/plain',
                      'application/xml',
                      'application/x-www-form-urlencoded',
                      'application/json; charset=utf-16',
                    )
                    .map((type) => ({ payload: 'name=x', type })),
                },
              )
            : valid(body, hints).map((v) => ({ payload: JSON.stringify(v), type: 'application/json' }))
          : fc.constant(undefined),
      }),
    );
}

function request({ method, path }: Op, c: Case, credentials: Record<Exclude<Case['actor'], 'anonymous'>, string>) {
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
    c.params[name] === '%E0%A4%A' ? c.params[name] : encode(c.params[name]),
  );
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(c.query))
    for (const one of Array.isArray(v) ? v : [v]) if (c.mutate || one !== '') qs.append(k, one);
  const headers: Record<string, string> = { ...c.headers };
  if (c.actor !== 'anonymous') headers.authorization = `Bearer ${credentials[c.actor]}`;
  if (c.body) headers['content-type'] = c.body.type;
  return { method, url: qs.size > 0 ? `${url}?${qs}` : url, headers, payload: c.body?.payload };
}

/** The stream over a socket: its status and headers, then hang up (a 200 never ends by itself). */
async function streamOnce(req: ReturnType<typeof request>) {
  const abort = new AbortController();
  // A stream that never sends its headers would hold the sweep until the test's timeout.
  const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(STALL_MS)]);
  const res = await fetch(base + req.url, { headers: req.headers, signal });
  const type = res.headers.get('content-type') ?? '';
  if (res.status === 200) {
    abort.abort();
    return { statusCode: 200, headers: { 'content-type': type }, body: '', stream: true };
  }
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => (headers[name] = value));
  return { statusCode: res.status, headers, body: await res.text(), stream: false };
}

describe('Fuzzing every operation of /openapi.json', () => {
  it('When the document is read, then it lists the operations the fuzzer covers', () => {
    expect(operations(doc).length).toBeGreaterThanOrEqual(38);
    expect(
      operations(doc)
        .filter(isStream)
        .map((o) => o.path),
    ).toEqual(expect.arrayContaining(['/api/subscriptions/{subscriptionId}/stream', '/api/alarms/stream']));
  });

  it(
    'When every operation gets valid and invalid requests as admin, non-member and anonymous, then nothing answers 5xx or off-contract',
    { timeout: Math.max(120_000, RUNS * 1_000) },
    async () => {
      const failures: string[] = [];
      const tally: Record<string, { ms: number; statuses: Record<number, number> }> = {};
      for (const o of operations(doc)) {
        const started = Date.now();
        const statuses: Record<number, number> = {};
        const seen = (status: number) => (statuses[status] = (statuses[status] ?? 0) + 1);
        const { credentials, hints } = await world();
        const runs = o.path === '/api/auth/login' ? LOGIN_RUNS : RUNS;
        const property = fc.asyncProperty(caseArbitrary(o, hints), async (c) => {
          const req = request(o, c, credentials);
          if (isStream(o)) {
            const res = await streamOnce(req);
            seen(res.statusCode);
            if (res.stream) {
              expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
              return;
            }
            const why = check.violation(o.op, res);
            if (why) throw new Error(why);
            return;
          }
          const started = performance.now();
          const res = await app.inject(req);
          seen(res.statusCode);
          // One request must not hold the event loop: nobody else is answered meanwhile.
          const ms = performance.now() - started;
          if (ms > STALL_MS)
            throw new Error(`${req.method} ${req.url.slice(0, 200)}: answered after ${Math.round(ms)} ms`);
          const why = check.violation(o.op, res);
          if (why) throw new Error(`${req.method} ${req.url.slice(0, 200)}: ${why}`);
        });
        const out = await fc.check(property, { numRuns: runs, seed: SEED, endOnFailure: true });
        tally[`${o.method} ${o.path}`] = { ms: Date.now() - started, statuses };
        if (out.failed)
          failures.push(
            `${o.method} ${o.path} (seed ${out.seed}, path ${out.counterexamplePath}): ${String((out.errorInstance as Error | undefined)?.message ?? out.errorInstance).slice(0, 600)}\n  case: ${JSON.stringify(out.counterexample)?.slice(0, 600)}`,
          );
      }
      if (process.env.FUZZ_REPORT)
        console.table(
          Object.fromEntries(
            Object.entries(tally).map(([k, v]) => [k, { ms: v.ms, statuses: JSON.stringify(v.statuses) }]),
          ),
        );
      expect(failures).toEqual([]);
      // The valid half must get through: most operations answer 2xx at least once, so the fuzzer is not stuck at the door.
      // Only sign-in (no password here) and minting a token (sessions only) never can; a world
      // without one of its resources leaves that resource's operations at 4xx and falls below.
      const succeeded = Object.values(tally).filter((t) => Object.keys(t.statuses).some((s) => s.startsWith('2')));
      expect(succeeded.length).toBeGreaterThanOrEqual(Math.floor(Object.keys(tally).length * 0.9));
      // Dispatch is off: a webhook the fuzzer made could name any host, so nothing may be sent.
      expect(received).toBe(0);
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    },
  );
});
