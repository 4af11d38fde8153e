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
  pass: boolean;
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
      goals.map((r) => [r.figure, r.what, r.ours, r.baseline, r.ratio, r.goal, r.pass ? 'pass' : '**FAIL**']),
    ),
  ].join('\n\n');
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`;
}
