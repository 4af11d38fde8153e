// The result tables, as Markdown: P1–P3 beside the ceiling of the stack's layers, then the figures
// that have goals, with pass or FAIL.
import { cpus, totalmem } from 'node:os';

/** A figure with a goal. */
export interface Row {
  figure: string;
  what: string;
  ours: string;
  baseline: string;
  ratio: string;
  goal: string;
  /** null: the goal does not apply on this backend (printed as —). */
  pass: boolean | null;
}

/** A figure read beside the ceiling that the layers every such answer carries set; it has no goal. */
export interface CeilingRow {
  figure: string;
  what: string;
  ours: string;
  baseline: string;
  ratio: string;
  ceiling: string;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';

const verdict = (r: Row) => (r.pass === null ? '—' : r.pass ? 'pass' : '**FAIL**');

const table = (head: string[], lines: string[][]) =>
  [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

export function markdown(ceilings: CeilingRow[], goals: Row[]): string {
  // A partial run (`--only mqtt`) has no ceiling rows.
  const ceilingSection = ceilings.length
    ? [
        "### P1–P3: beside the ceiling of the stack's layers",
        table(
          ['#', 'figure', 'ours', 'baseline', 'ratio', "ceiling of the stack's layers (× bare route)"],
          ceilings.map((r) => [r.figure, r.what, r.ours, r.baseline, r.ratio, r.ceiling]),
        ),
        'The ceilings are not measured in this run: they are ranges over several runs of `npx tsx bench/layers.ts`, ' +
          'which measures each layer on a bare Fastify route (docs/performance.md). A goal above its ceiling could not be met, so these figures have none.',
      ]
    : [];
  return [
    ...ceilingSection,
    '### Figures with goals',
    table(
      ['#', 'figure', 'ours', 'baseline', 'ratio', 'goal', 'result'],
      goals.map((r) => [r.figure, r.what, r.ours, r.baseline, r.ratio, r.goal, verdict(r)]),
    ),
  ].join('\n\n');
}

/** Each backend's pass, in one table: a column per backend, a line per figure either measured. */
export function sideBySide(passes: { label: string; ceilings: CeilingRow[]; rows: Row[] }[]): string {
  const cells = passes.map(({ ceilings, rows }) => {
    const byFigure = new Map<string, { what: string; goal: string; cell: string }>();
    for (const r of ceilings)
      byFigure.set(r.figure, {
        what: r.what,
        goal: '— (× bare route, beside its ceiling)',
        cell: `${r.ours}; ${r.ratio}`,
      });
    for (const r of rows) {
      const ratio = r.ratio === '—' ? '' : `; ${r.ratio} of ${r.baseline}`;
      byFigure.set(r.figure, { what: r.what, goal: r.goal, cell: `${r.ours}${ratio}; ${verdict(r)}` });
    }
    return byFigure;
  });
  const figures = [...new Set(cells.flatMap((c) => [...c.keys()]))].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  return table(
    ['#', 'figure', 'goal', ...passes.map((p) => p.label)],
    figures.map((f) => {
      const first = cells.find((c) => c.has(f))!.get(f)!;
      return [f, first.what, first.goal, ...cells.map((c) => c.get(f)?.cell ?? '— (not measured)')];
    }),
  );
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`;
}
