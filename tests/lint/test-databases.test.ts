// Every test file says which databases it runs on (vitest.config.ts): in the PostgreSQL run as well
// as SQLite's, on SQLite only, on PostgreSQL only, or once for want of a database. A new file that
// is in none of the lists would run on SQLite alone without anyone having decided so.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_DATABASE, POSTGRES_ONLY, POSTGRES_RUN, SQLITE_ONLY } from '../../vitest.config.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The globs the lists use: `**` (any folders), `*` (within one name), or a plain path. */
const matcher = (glob: string) =>
  new RegExp(
    '^' +
      glob
        .split(/(\*\*\/|\*\*|\*)/)
        .map((part) =>
          part === '**/'
            ? '(?:.*/)?'
            : part === '**'
              ? '.*'
              : part === '*'
                ? '[^/]*'
                : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('') +
      '$',
  );

const inList = (list: string[]) => (file: string) => list.some((glob) => matcher(glob).test(file));

const testFiles = ['tests', 'e2e'].flatMap((dir) =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `${dir}/${f.split('\\').join('/')}`),
);

describe('vitest.config.ts', () => {
  it('When a test file exists, then one of the lists says which databases it runs on', () => {
    expect(testFiles.length).toBeGreaterThan(50);
    const decided = [POSTGRES_RUN, SQLITE_ONLY, POSTGRES_ONLY, NO_DATABASE].map(inList);
    expect(testFiles.filter((f) => !decided.some((isIn) => isIn(f)))).toEqual([]);
  });

  it('When a list names one file, then that file exists (a renamed file leaves no stale entry)', () => {
    const named = [...SQLITE_ONLY, ...NO_DATABASE].filter((entry) => !entry.includes('*'));
    expect(named.filter((file) => !existsSync(join(ROOT, file)))).toEqual([]);
  });
});
