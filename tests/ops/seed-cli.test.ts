// `npm run seed` refuses arguments it cannot honour before it touches the database.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'sitewatt-seed-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seed(...args: string[]) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/scripts/seed.ts', ...args],
      { cwd: REPO, timeout: 30_000 },
      (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
    );
  });
}

describe('npm run seed', () => {
  it('When --days reaches back before 1970 or is negative, then it exits 2 with the reason and creates no database', async () => {
    const db = join(dir, 'seed.db');
    const tooMany = await seed('--sites', '1', '--days', '20001', '--db', db);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('--days must be at most 20000');
    const negative = await seed('--sites', '1', '--days=-1', '--db', db);
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain('--days must be a non-negative number');
    // Written with a space, "-1" looks like an option: refused with the usage, not a stack trace.
    const ambiguous = await seed('--sites', '1', '--days', '-1', '--db', db);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('usage: npm run seed');
    expect(ambiguous.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(db)).toBe(false);
  }, 60_000);
});
