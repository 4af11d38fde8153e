// One backend's pass of the bench: the dataset seeded through its repositories, the real server
// started on it as a child process, P1–P15 measured against their baselines. Children are killed
// and PostgreSQL's database dropped before it returns, whatever happens.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BENCH_PASSWORD, BENCH_TECH } from '../src/seed/synthetic.js';
import { alarmIngestRows } from './alarms-ingest.js';
import { clusterRow } from './cluster.js';
import { buildDataset, type Plan } from './dataset.js';
import { ceilingRows, goalRows, measureRounds, paths } from './figures.js';
import { createToken, expectOk, login } from './load.js';
import { mqttRows } from './mqtt.js';
import { freePort, killAll, startChild, stopChild, type Child } from './processes.js';
import { fanoutRow } from './sse.js';
import { BACKEND_LABEL, openStore, type Backend, type BenchStore } from './store.js';
import { fmt, median, type CeilingRow, type Row } from './table.js';

export interface SuiteOptions {
  backend: Backend;
  pgUrl: string | null;
  quick: boolean;
  plan: Plan;
  seconds: number;
  roundCount: number;
  mqttConnections: number;
  mqttSeconds: number;
  /** 'mqtt': P11/P12 alone. */
  only?: string;
  serverArgs: string[];
  dir: string;
  log: (m: string) => void;
}

export interface SuiteResult {
  backend: Backend;
  ceilings: CeilingRow[];
  rows: Row[];
  notes: string[];
}

/** Stores not yet dropped, for an interrupted run. */
export const openStores = new Set<BenchStore>();

export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const store = await openStore(o.backend, o.dir, o.pgUrl);
  openStores.add(store);
  try {
    return await measure(o, store);
  } finally {
    await killAll();
    await store.drop();
    openStores.delete(store);
  }
}

async function measure(o: SuiteOptions, store: BenchStore): Promise<SuiteResult> {
  const { plan, log, quick } = o;
  const label = BACKEND_LABEL[o.backend];
  const notes: string[] = [];
  log(`${label}: building the dataset`);
  const ds = await buildDataset(store, plan, log);
  notes.push(
    `dataset: ${plan.sites} sites × 9 devices (20 metrics a site); site 0 has ${plan.longDays} days of one-minute readings, the others ${plan.recentHours} h; seeded ${ds.readings.toLocaleString('en')} readings through the ${label} repositories in ${(ds.seedMs / 1000).toFixed(1)} s (${fmt(ds.readings / (ds.seedMs / 1000))} readings/s)`,
  );
  log(notes[0]);

  const env: Record<string, string | undefined> = {
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    COOKIE_SECURE: 'false',
    ...store.serverEnv,
    SIMULATOR: 'off',
    DEMO: 'false',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    // P7′ sends X-Forwarded-For to play many clients; trusting loopback as the proxy makes it count.
    TRUST_PROXY: '127.0.0.1',
    // Load shedding off: the figures measure capacity; a 503 under deliberate overload would hide it.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    // Budgets out of reach, for the same reason: one benchmark user sends thousands of requests a
    // second. They are still counted and their headers sent, so the figures include that cost.
    RATE_LIMIT: '999999999',
    RATE_LIMIT_ANONYMOUS: '999999999',
  };
  // P11/P12: the built-in broker, with the per-key limits out of reach (one key per site carries
  // hundreds of connections here); the HTTP budgets above likewise.
  const mqttPort = await freePort();
  Object.assign(env, {
    MQTT_PORT: String(mqttPort),
    MQTT_RATE_PER_KEY: '999999',
    MQTT_BURST_PER_KEY: '999999',
    MQTT_CONNECTIONS_PER_KEY: '999999',
  });
  const logFile = (name: string) => join(o.dir, `${o.backend}-${name}.log`);
  const startServer = (args = o.serverArgs, extra: Record<string, string | undefined> = {}, avoid: number[] = []) =>
    startChild(args, { ...env, ...extra }, '/healthz', logFile('server'), 60_000, avoid);
  // The first server also serves P1/P2's bare route in its own process, as their baseline is defined;
  // the restarts of P9 are the server alone.
  const barePort = await freePort();
  let server: Child = await startServer(
    ['--import', './bench/baseline-server.mjs', ...o.serverArgs],
    { BENCH_BARE_PORT: String(barePort) },
    [barePort],
  );
  log(`server ready in ${fmt(server.readyMs)} ms`);

  const cookie = await login(server.url, BENCH_TECH, BENCH_PASSWORD);
  const token = await createToken(server.url, cookie);
  const target = { base: server.url, bare: `http://127.0.0.1:${barePort}/bare`, cookie, token, ds, store };
  const p = paths(target, plan.longDays);
  for (const x of Object.values(p)) await expectOk(x.url, x.headers);
  const mqttFigures = (s: Child) =>
    mqttRows(s, mqttPort, () => store.deviceMetrics(), token, {
      connections: o.mqttConnections,
      seconds: o.mqttSeconds,
      log,
    });
  if (o.only === 'mqtt') return { backend: o.backend, ceilings: [], rows: await mqttFigures(server), notes };

  log('warm-up');
  await measureRounds(target, p, 1, quick ? 0.5 : 1, () => undefined);
  const { rounds, rawName } = await measureRounds(target, p, o.roundCount, o.seconds, log);
  const windowLabel = quick ? `${plan.longDays} days of one-minute data (quick)` : 'one year of one-minute data';
  const ceilings = ceilingRows(rounds);
  const rows = goalRows(rounds, windowLabel, ds.energySites, rawName);

  if (store.backendPids) {
    log('P15: a second node on the same database');
    const second = await startServer(o.serverArgs, { MQTT_PORT: undefined }, [barePort]);
    rows.push(
      await clusterRow(
        {
          nodes: [server, second].map((s) => ({ url: `${s.url}/api/sites/${ds.site0}/latest`, pid: s.proc.pid! })),
          headers: p.p2.headers,
          dbPids: () => store.backendPids!(),
        },
        o.roundCount,
        quick ? 2 : o.seconds,
        log,
      ),
    );
    await stopChild(second.proc);
  }

  const perReading = ds.storage.bytes / ds.storage.readings;
  const at = `at ${fmt(ds.storage.readings / 1e6, 1)} M readings${quick ? ' (quick: not 10 M)' : ''}`;
  rows.push({
    figure: 'P8',
    what: `database bytes per reading, roll-ups included, ${at}`,
    ours: `${fmt(perReading, 1)} B`,
    baseline: `${fmt(ds.storage.bytes / 2 ** 20)} MiB (${ds.storage.source})`,
    ratio: '—',
    // A PostgreSQL heap row carries a 24 B header and its key again in the index (docs/performance.md).
    goal: o.backend === 'sqlite' ? '≤ 32 B' : "— (SQLite's ≤ 32 B)",
    pass: o.backend === 'sqlite' ? perReading <= 32 : null,
  });

  // P9 before P6, so P6's memory figure is a fresh server's plus its streams, not the rounds' leftovers.
  log('P9: restarts');
  const restarts = [];
  for (let i = 0; i < 3; i++) {
    await stopChild(server.proc);
    server = await startServer();
    restarts.push(server.readyMs);
  }
  const restart = median(restarts);
  rows.push({
    figure: 'P9',
    what: `restart until /healthz answers, ${at}`,
    ours: `${fmt(restart)} ms`,
    baseline: '—',
    ratio: '—',
    goal: '≤ 2,000 ms',
    pass: restart <= 2000,
  });
  log(`P6: ${plan.streamUsers * plan.streamsPerUser} streams`);
  rows.push(await fanoutRow(server, ds, token));
  rows.push(...(await mqttFigures(server)));
  log('P13, P14: alarm evaluation at ingest');
  const alarmDb = o.backend === 'postgres' ? (store.serverEnv.DATABASE_URL ?? null) : null;
  rows.push(...(await alarmIngestRows(quick ? 20 : 100, quick ? 200 : 1000, alarmDb)));
  notes.push(`storage by table (bytes): ${JSON.stringify(ds.storage.breakdown)}`);
  rows.sort((a, b) => a.figure.localeCompare(b.figure, 'en', { numeric: true }));
  return { backend: o.backend, ceilings, rows, notes };
}
