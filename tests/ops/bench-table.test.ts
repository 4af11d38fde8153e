// The bench's tables: a missed goal is never printed as the goal itself ("0.50×  FAIL"), and P1–P3,
// whose goals the stack's own layers put out of reach, are figures beside that ceiling, not verdicts.
import { describe, expect, it } from 'vitest';
import { ceilingRows, goalRows, ratioText, type Round } from '../../bench/figures.js';
import { markdown, sideBySide, type Row } from '../../bench/table.js';
import type { Load } from '../../bench/load.js';

const load = (rps: number, p50 = 10): Load => ({ rps, p50, p99: p50 * 2, failures: 0 });
const round: Round = {
  bare: load(40_000),
  p1: load(10_000),
  p2: load(6_000),
  p3: load(3_000),
  p7: load(9_000),
  p7spread: load(6_000),
  p4: 200_000,
  raw: 350_000,
  year: load(0, 13),
  day: load(0, 16),
  energy: load(0, 26),
};

describe('bench ratio text', () => {
  it('When two decimals would round a ratio onto its goal, then it gets a third; otherwise two', () => {
    expect(ratioText(0.4972, 0.5)).toBe('0.497');
    expect(ratioText(0.5012, 0.5)).toBe('0.501');
    expect(ratioText(2.004, 2)).toBe('2.004');
    expect(ratioText(0.5, 0.5)).toBe('0.50');
    expect(ratioText(0.2345, 0.8)).toBe('0.23');
    expect(ratioText(1.69, 2)).toBe('1.69');
  });
});

describe('bench result tables', () => {
  const tables = markdown(ceilingRows([round, round, round]), goalRows([round, round, round], 'a year'));
  const line = (figure: string) => tables.split('\n').find((l) => l.startsWith(`| ${figure} |`)) ?? '';

  it('When P1–P3 are printed, then each shows its ratio to the bare route beside the ceiling of the layers, with no pass or FAIL', () => {
    expect(line('P1')).toContain('0.25×');
    expect(line('P1')).toContain('0.62–0.68×');
    expect(line('P2')).toContain('0.32–0.36×');
    expect(line('P3')).toContain('0.08× (0.50× of P2)');
    for (const figure of ['P1', 'P2', 'P3']) expect(line(figure)).not.toMatch(/pass|FAIL|≥/);
    expect(tables).toContain('bench/layers.ts');
  });

  it('When P4, P5 and P7 are printed, then they keep their goals and verdicts', () => {
    expect(line('P4')).toMatch(/≥ 0\.5× \| pass \|$/);
    expect(line('P5')).toMatch(/≤ 2× and p50 ≤ 150 ms \| pass \|$/);
    expect(line('P7′')).toMatch(/0\.60× \| ≥ 0\.5× \| pass \|$/);
  });

  it("When P10 is printed, then the fleet's energy is measured against P5's subscription chart of the same window", () => {
    expect(line('P10')).toContain('GET /api/energy, 50 sites, daily buckets over a year');
    expect(line('P10')).toMatch(
      /p50 26 ms \| p50 13 ms \(P5's subscription chart of the same window\) \| 2\.00× \| ≤ 1× \(as fast as the subscription chart\) \| \*\*FAIL\*\* \|$/,
    );
  });
});

describe('bench side by side', () => {
  const ceilings = ceilingRows([round, round, round]);
  const sqlite = goalRows([round, round, round], 'a year');
  const p8 = (pass: boolean | null): Row => ({
    figure: 'P8',
    what: 'database bytes per reading',
    ours: pass === null ? '87.0 B' : '24.5 B',
    baseline: '—',
    ratio: '—',
    goal: '≤ 32 B',
    pass,
  });
  const p15: Row = {
    figure: 'P15',
    what: 'cluster efficiency',
    ours: '2,000 req per CPU-s',
    baseline: '2,100 req per CPU-s',
    ratio: '0.95×',
    goal: '≥ 0.9×',
    pass: true,
  };
  const table = sideBySide([
    { label: 'SQLite', ceilings, rows: [...sqlite, p8(true)] },
    { label: 'PostgreSQL', ceilings, rows: [...sqlite, p8(null), p15] },
  ]);
  const line = (figure: string) => table.split('\n').find((l) => l.startsWith(`| ${figure} |`)) ?? '';

  it('When both backends ran, then each figure is one line with a column per backend, in figure order', () => {
    expect(table.split('\n')[0]).toBe('| # | figure | goal | SQLite | PostgreSQL |');
    expect(
      table
        .split('\n')
        .slice(2)
        .map((l) => l.split(' | ')[0]),
    ).toEqual(['P1', 'P2', 'P3', 'P4', 'P5', 'P7', 'P7′', 'P8', 'P10', 'P15'].map((f) => `| ${f}`));
    expect(line('P4')).toMatch(/0\.57× of .*; pass \| .*0\.57× of .*; pass \|$/);
  });

  it('When a goal does not apply on a backend, then its cell shows — rather than pass or FAIL', () => {
    expect(line('P8')).toMatch(/24\.5 B; pass \| 87\.0 B; — \|$/);
  });

  it('When a figure is measured on one backend only, then the other says so', () => {
    expect(line('P15')).toMatch(
      /\| — \(not measured\) \| 2,000 req per CPU-s; 0\.95× of 2,100 req per CPU-s; pass \|$/,
    );
  });
});
