// The measurements behind P1–P5 and P7: each round measures every figure next to its baseline,
// so drift on a shared machine hits both sides of a ratio alike.
import type { Dataset } from './dataset.js';
import { hammer, ingestLoad, loginStorm, sequential, type Load } from './load.js';
import type { BenchStore } from './store.js';
import { fmt, median, type CeilingRow, type Row } from './table.js';

export interface Target {
  base: string;
  bare: string;
  cookie: string;
  token: string;
  ds: Dataset;
  store: BenchStore;
}

export interface Round {
  bare: Load;
  p1: Load;
  p2: Load;
  p3: Load;
  p7: Load;
  p7spread: Load;
  p4: number;
  raw: number;
  year: Load;
  day: Load;
  energy: Load;
}

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function paths(t: Target, longDays: number) {
  const now = Date.now();
  const window = (days: number) =>
    `from=${new Date(now - days * DAY).toISOString()}&to=${new Date(now).toISOString()}&interval=auto&maxPoints=1000`;
  const series = `${t.base}/api/subscriptions/${t.ds.yearSubscription}/timeseries?`;
  return {
    p1: { url: `${t.base}/api/metrics/${t.ds.metric0}`, headers: { cookie: t.cookie } },
    p2: { url: `${t.base}/api/sites/${t.ds.site0}/latest`, headers: { authorization: `Bearer ${t.token}` } },
    // The site page's device list with live values, as htmx polls it.
    p3: { url: `${t.base}/sites/${t.ds.site0}`, headers: { cookie: t.cookie, 'hx-request': 'true' } },
    year: { url: series + window(longDays), headers: { authorization: `Bearer ${t.token}` } },
    day: { url: series + window(1), headers: { authorization: `Bearer ${t.token}` } },
    // The fleet's energy per local day over the long window (GET /api/energy, daily roll-ups).
    energy: {
      url: `${t.base}/api/energy?interval=1d&from=${new Date(now - longDays * DAY).toISOString()}&to=${new Date(now).toISOString()}`,
      headers: { authorization: `Bearer ${t.ds.energyToken}` },
    },
  };
}

export async function measureRounds(
  t: Target,
  p: ReturnType<typeof paths>,
  rounds: number,
  seconds: number,
  log: (m: string) => void,
): Promise<{ rounds: Round[]; rawName: string }> {
  const raw = await t.store.rawInserter(t.ds.writable.length, 5000);
  // P4 writes fresh minutes before site 0's history starts, so every reading is a new row.
  const cursor = { ts: Date.now() - 800 * DAY };
  const out: Round[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      log(`round ${r + 1}/${rounds}`);
      const bare = await hammer(t.bare, seconds);
      const p1 = await hammer(p.p1.url, seconds, p.p1.headers);
      const p2 = await hammer(p.p2.url, seconds, p.p2.headers);
      const p3 = await hammer(p.p3.url, seconds, p.p3.headers);
      const p7 = await underStorm(t, p.p1, seconds, false, log);
      const p7spread = await underStorm(t, p.p1, seconds, true, log);
      const p4 = (await ingestLoad(t.base, t.token, t.ds.writable, 5000, cursor, seconds)).readingsPerSecond;
      const rawRate = await raw.run(seconds);
      const samples = Math.max(5, seconds * 4);
      const year = await sequential(p.year.url, samples, p.year.headers);
      const day = await sequential(p.day.url, samples, p.day.headers);
      const energy = await sequential(p.energy.url, samples, p.energy.headers);
      const failures = [bare, p1, p2, p3, p7, year, day, energy].reduce((n, l) => n + l.failures, 0);
      if (failures > 0) log(`round ${r + 1}: ${failures} failed requests (non-2xx or errors)`);
      out.push({ bare, p1, p2, p3, p7, p7spread, p4, raw: rawRate, year, day, energy });
    }
  } finally {
    await raw.close();
  }
  return { rounds: out, rawName: raw.name };
}

/** P1 during a login storm that starts 0.5 s before and ends after it; then queued argon2 work drains. */
async function underStorm(
  t: Target,
  p1: { url: string; headers: Record<string, string> },
  seconds: number,
  spread: boolean,
  log: (m: string) => void,
) {
  const [storm, load] = await Promise.all([
    loginStorm(t.base, seconds + 1, spread),
    sleep(500).then(() => hammer(p1.url, seconds, p1.headers)),
  ]);
  log(`  login storm${spread ? ' (spread addresses)' : ''}: ${storm.codes || 'no answers'}`);
  await sleep(2000);
  return load;
}

/** Two decimals, or three where two would round a ratio onto its goal (a "0.50×" that fails 0.5). */
export function ratioText(ratio: number, goal: number): string {
  return Number(ratio.toFixed(2)) === goal && ratio !== goal ? fmt(ratio, 3) : fmt(ratio, 2);
}

// What the layers every such answer must carry leave of a bare route's throughput, before any work
// of ours: ranges over several runs of bench/layers.ts, copied from docs/performance.md, which keeps
// them current. P1–P3 are read beside these rather than against goals above them.
const CEILINGS = {
  P1: "0.62–0.68×: security headers, request id and the API's own cookie reading",
  P2: '0.32–0.36×: the answer through its response schema',
  P3: '0.21–0.26×: `@fastify/session` with a cookie, which the pages run',
};

const ratioOf = (rounds: Round[], ours: (r: Round) => number, base: (r: Round) => number) =>
  median(rounds.map((r) => ours(r) / base(r)));
const rate = (rounds: Round[], of: (r: Round) => number, unit: string) => `${fmt(median(rounds.map(of)))} ${unit}`;

/** P1–P3: each against the bare route, beside its ceiling; P3 also against P2, the same data as JSON. */
export function ceilingRows(rounds: Round[]): CeilingRow[] {
  const bare = (r: Round) => r.bare.rps;
  const baseline = `${rate(rounds, bare, 'req/s')} (bare Fastify route in the server process)`;
  const row = (figure: keyof typeof CEILINGS, what: string, ours: (r: Round) => number, also = ''): CeilingRow => ({
    figure,
    what,
    ours: rate(rounds, ours, 'req/s'),
    baseline,
    ratio: `${fmt(ratioOf(rounds, ours, bare), 2)}×${also}`,
    ceiling: CEILINGS[figure],
  });
  return [
    row('P1', 'GET /api/metrics/:id, session cookie', (r) => r.p1.rps),
    row('P2', 'GET /api/sites/:id/latest (20 metrics), bearer', (r) => r.p2.rps),
    row(
      'P3',
      'site page live-values fragment (HTML, hx-request)',
      (r) => r.p3.rps,
      ` (${fmt(
        ratioOf(
          rounds,
          (r) => r.p3.rps,
          (r) => r.p2.rps,
        ),
        2,
      )}× of P2)`,
    ),
  ];
}

/** P4, P5 and P7 against their goals. Ratios are medians of per-round ratios; "ours" and "baseline" are medians of their own. */
export function goalRows(
  rounds: Round[],
  windowLabel: string,
  energySites = 50,
  rawName = 'raw prepared INSERT, 5,000/tx',
): Row[] {
  const row = (
    figure: string,
    what: string,
    ours: (r: Round) => number,
    base: (r: Round) => number,
    unit: string,
    goal: number,
    baseName: string,
  ): Row => {
    const ratio = ratioOf(rounds, ours, base);
    return {
      figure,
      what,
      ours: rate(rounds, ours, unit),
      baseline: `${rate(rounds, base, unit)} (${baseName})`,
      ratio: `${ratioText(ratio, goal)}×`,
      goal: `≥ ${goal}×`,
      pass: ratio >= goal,
    };
  };
  const yearP50 = median(rounds.map((r) => r.year.p50));
  const dayP50 = median(rounds.map((r) => r.day.p50));
  const p5Ratio = median(rounds.map((r) => r.year.p50 / r.day.p50));
  const energyP50 = median(rounds.map((r) => r.energy.p50));
  const p10Ratio = median(rounds.map((r) => r.energy.p50 / r.year.p50));
  return [
    row(
      'P4',
      'POST /api/readings, 5,000 a request',
      (r) => r.p4,
      (r) => r.raw,
      'readings/s',
      0.5,
      rawName,
    ),
    {
      figure: 'P5',
      what: `subscription of 20 metrics, ${windowLabel}, interval=auto`,
      ours: `p50 ${fmt(yearP50)} ms`,
      baseline: `p50 ${fmt(dayP50)} ms (1-day window)`,
      ratio: `${ratioText(p5Ratio, 2)}×`,
      goal: '≤ 2× and p50 ≤ 150 ms',
      pass: p5Ratio <= 2 && yearP50 <= 150,
    },
    {
      figure: 'P10',
      what: `GET /api/energy, ${energySites} sites, daily buckets over ${windowLabel}`,
      ours: `p50 ${fmt(energyP50)} ms`,
      baseline: `p50 ${fmt(yearP50)} ms (P5's subscription chart of the same window)`,
      ratio: `${ratioText(p10Ratio, 1)}×`,
      goal: '≤ 1× (as fast as the subscription chart)',
      pass: p10Ratio <= 1,
    },
    row(
      'P7',
      'P1 while 50 clients hammer login from one address',
      (r) => r.p7.rps,
      (r) => r.p1.rps,
      'req/s',
      0.5,
      'P1 alone',
    ),
    row(
      'P7′',
      'P1 while 50 clients hammer login, each request from a new address',
      (r) => r.p7spread.rps,
      (r) => r.p1.rps,
      'req/s',
      0.5,
      'P1 alone',
    ),
  ];
}
