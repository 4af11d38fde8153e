// Property-based fuzzing of every operation in the served /openapi.json.
// Valid and invalid requests (path ids real or random, query and body from the operation's own
// schema, or mutated: text past U+00FF, years 0000-0099 and 9999, lists of 100,000 wrong items),
// as an admin, as a member of another site only, and anonymously.
// Pass: no 5xx, every response declared by the document and matching its schema and answered
// within STALL_MS, /healthz still up.
// Small on every run; `npm run fuzz` (tools/fuzz.ts) sets FUZZ_RUNS=1000 for the nightly size.
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp, createWorld, injectAs, type TestUser } from '../helpers/app.js';
import { contract, operations, type OpenApiDocument, type Op } from './openapi-contract.js';
import { hostileString, idArbitrary, invalid, queryValue, valid, type Hints } from './schema-arbitrary.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
// argon2 makes every sign-in cost ~50 ms; the rate limit answers most of them after 30 anyway.
const LOGIN_RUNS = Math.min(RUNS, 40);
/** The SSE streams: a 200 never ends by itself, so they are read over a socket and hung up. */
const STREAMS = new Set(['/api/subscriptions/{subscriptionId}/stream', '/api/alarms/stream']);
/** Longer than any honest answer takes, even on a busy test machine; 100,000 wrong items once took 30 s and more. */
const STALL_MS = 5_000;

let app: App;
let doc: OpenApiDocument;
let check: ReturnType<typeof contract>;
let base: string;

beforeAll(async () => {
  app = await buildTestApp();
  doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  check = contract(doc);
  // Streams never end, which inject() cannot show: they go over a real socket.
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(() => app.close());

/** A fresh cast for each operation, so one operation's deletes do not starve the next one's cases. */
async function world() {
  const w = await createWorld(app);
  const sub = await injectAs(app, w.admin, {
    method: 'POST',
    url: '/api/subscriptions',
    payload: { name: 'Fuzz', metricIds: w.metrics.map((m) => m.id) },
  });
  // Minted as a signed-in session would: a bearer token may not create tokens.
  const token = await app.services.auth.createToken((await app.services.auth.loadActor(w.admin.id))!, 'session', {
    name: 'fuzz',
  });
  const key = await app.services.ingestKeys.create((await app.services.auth.loadActor(w.admin.id))!, w.site.id, {
    name: 'fuzz',
  });
  // A rule every reading meets, and the alarm the reading below raised.
  const admin = (await app.services.auth.loadActor(w.admin.id))!;
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
  ];
  const byName = {
    siteId: [w.site.id, w.otherSite.id],
    deviceId: [w.device.id],
    metricId: w.metrics.map((m) => m.id),
    userId: [w.technician.id, w.viewer.id, w.outsider.id, w.admin.id],
    subscriptionId: [sub.json().id],
    tokenId: [token.id],
    keyId: [key.id],
    ruleId: [rule.id],
    alarmId: [alarm.id],
  };
  return { w, hints: { ids, byName } satisfies Hints };
}

interface Case {
  actor: 'admin' | 'outsider' | 'anonymous';
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

function caseArbitrary({ op }: Op, hints: Hints): fc.Arbitrary<Case> {
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
      actor: fc.constantFrom('admin', 'outsider', 'anonymous') as fc.Arbitrary<Case['actor']>,
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

function request({ method, path }: Op, c: Case, users: Record<'admin' | 'outsider', TestUser>) {
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) =>
    c.params[name] === '%E0%A4%A' ? c.params[name] : encode(c.params[name]),
  );
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(c.query))
    for (const one of Array.isArray(v) ? v : [v]) if (c.mutate || one !== '') qs.append(k, one);
  const headers: Record<string, string> = { ...c.headers };
  if (c.actor !== 'anonymous') headers.authorization = `Bearer ${users[c.actor].token}`;
  if (c.body) headers['content-type'] = c.body.type;
  return { method, url: qs.size > 0 ? `${url}?${qs}` : url, headers, payload: c.body?.payload };
}

/** The stream over a socket: its status and headers, then hang up (a 200 never ends by itself). */
async function streamOnce(req: ReturnType<typeof request>) {
  const abort = new AbortController();
  const res = await fetch(base + req.url, { headers: req.headers, signal: abort.signal });
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
        const { w, hints } = await world();
        const users = { admin: w.admin, outsider: w.outsider };
        const runs = o.path === '/api/auth/login' ? LOGIN_RUNS : RUNS;
        const property = fc.asyncProperty(caseArbitrary(o, hints), async (c) => {
          const req = request(o, c, users);
          if (STREAMS.has(o.path)) {
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
      const succeeded = Object.values(tally).filter((t) => Object.keys(t.statuses).some((s) => s.startsWith('2')));
      // 70 %: the fuzz world holds no alarm rule, alarm or webhook yet, so those operations reach only their 4xx.
      expect(succeeded.length).toBeGreaterThanOrEqual(Math.floor(Object.keys(tally).length * 0.7));
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    },
  );
});
