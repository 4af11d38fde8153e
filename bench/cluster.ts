// P15, cluster efficiency (PostgreSQL): P2's read served by one node against two nodes on the same
// database, the load split evenly between them (10 connections in all), measured as requests served
// per CPU-second of the Sitewatt processes (utime + stime from /proc/<pid>/stat). On a machine whose
// few cores the database and the load generator share, absolute rates cannot double with a second
// node; CPU-seconds a request say whether more cores would add throughput, or whether the nodes
// spend more each for sharing one database.
import autocannon from 'autocannon';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fmt, median, type Row } from './table.js';

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** CPU seconds (user + system) a process has used, from /proc (Linux); 0 once it has exited. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

interface Sample {
  rps: number;
  /** Requests served per CPU-second of the nodes. */
  perCpu: number;
  /** CPU milliseconds of the database's backends a request. */
  dbMs: number;
  failures: number;
}

export interface ClusterTarget {
  /** Each node's URL for P2's read, and its process id. */
  nodes: { url: string; pid: number }[];
  headers: Record<string, string>;
  /** The database's backend processes now (their CPU is the database's share). */
  dbPids: () => Promise<number[]>;
}

async function sample(t: ClusterTarget, count: 1 | 2, seconds: number): Promise<Sample> {
  const nodes = t.nodes.slice(0, count);
  const dbBefore = new Map((await t.dbPids()).map((pid) => [pid, cpuSeconds(pid)]));
  const before = nodes.map((n) => cpuSeconds(n.pid));
  const results = await Promise.all(
    nodes.map((n) => autocannon({ url: n.url, duration: seconds, connections: 10 / count, headers: t.headers })),
  );
  const nodeCpu = nodes.reduce((s, n, i) => s + cpuSeconds(n.pid) - before[i], 0);
  const dbCpu = (await t.dbPids()).reduce((s, pid) => s + cpuSeconds(pid) - (dbBefore.get(pid) ?? 0), 0);
  const served = results.reduce((s, r) => s + r['2xx'], 0);
  return {
    rps: results.reduce((s, r) => s + r['2xx'] / r.duration, 0),
    perCpu: served / nodeCpu,
    dbMs: (1000 * dbCpu) / served,
    failures: results.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0),
  };
}

/** Interleaved rounds (one node then two, then two then one, …); the ratio is the median of per-round ratios. */
export async function clusterRow(
  t: ClusterTarget,
  rounds: number,
  seconds: number,
  log: (m: string) => void,
): Promise<Row> {
  await sample(t, 2, 1); // warm-up: both nodes' caches and plans
  const one: Sample[] = [];
  const two: Sample[] = [];
  for (let r = 0; r < rounds; r++) {
    const order: (1 | 2)[] = r % 2 ? [2, 1] : [1, 2];
    for (const count of order) (count === 1 ? one : two).push(await sample(t, count, seconds));
    log(
      `P15 round ${r + 1}/${rounds}: one node ${fmt(one[r].rps)} req/s, ${fmt(one[r].perCpu)} req/CPU-s; ` +
        `two ${fmt(two[r].rps)} req/s, ${fmt(two[r].perCpu)} req/CPU-s`,
    );
  }
  const failures = [...one, ...two].reduce((n, s) => n + s.failures, 0);
  if (failures > 0) log(`P15: ${failures} failed requests (non-2xx or errors)`);
  const m = (xs: Sample[], f: (s: Sample) => number) => median(xs.map(f));
  const ratio = median(one.map((s, i) => two[i].perCpu / s.perCpu));
  const text = (xs: Sample[]) =>
    `${fmt(m(xs, (s) => s.perCpu))} req per CPU-s (${fmt(1e6 / m(xs, (s) => s.perCpu))} µs a request), ` +
    `${fmt(m(xs, (s) => s.rps))} req/s; PostgreSQL ${fmt(
      m(xs, (s) => s.dbMs),
      2,
    )} ms CPU a request`;
  return {
    figure: 'P15',
    what: 'cluster efficiency: P2 (GET /api/sites/:id/latest) on two nodes sharing one PostgreSQL, 10 connections split evenly',
    ours: `two nodes: ${text(two)}`,
    baseline: `one node: ${text(one)}`,
    ratio: `${fmt(ratio, 2)}×`,
    goal: '≥ 0.9× requests per CPU-second of the Sitewatt processes',
    pass: failures === 0 && ratio >= 0.9,
  };
}
