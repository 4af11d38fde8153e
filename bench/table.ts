// The result table (issue #6): figure, ours, baseline, ratio, goal, pass/fail, as Markdown.
import { cpus, totalmem } from 'node:os';

export interface Row {
  figure: string;
  what: string;
  ours: string;
  baseline: string;
  ratio: string;
  goal: string;
  pass: boolean;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';

export function markdown(rows: Row[]): string {
  const head = ['#', 'figure', 'ours', 'baseline', 'ratio', 'goal', 'result'];
  const lines = rows.map((r) => [r.figure, r.what, r.ours, r.baseline, r.ratio, r.goal, r.pass ? 'pass' : '**FAIL**']);
  return [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`;
}
