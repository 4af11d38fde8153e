// `npm start` builds only when the build is missing or older than its sources. The check runs
// here as npm runs it, in a temporary project whose `build` script records each build.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

let dir: string;
const builds = () => (existsSync(join(dir, 'builds.log')) ? readFileSync(join(dir, 'builds.log'), 'utf8').length : 0);
const check = () => run(process.execPath, ['tools/build-if-stale.mjs'], { cwd: dir });
/** Dates a file `seconds` from now, so the order of mtimes never hangs on the clock's resolution. */
const age = (path: string, seconds: number) => {
  const t = new Date(Date.now() + seconds * 1000);
  utimesSync(join(dir, path), t, t);
};

function project(build: string) {
  dir = mkdtempSync(join(tmpdir(), 'sitewatt-stale-'));
  mkdirSync(join(dir, 'tools'));
  cpSync(join(REPO, 'tools', 'build-if-stale.mjs'), join(dir, 'tools', 'build-if-stale.mjs'));
  mkdirSync(join(dir, 'src', 'db'), { recursive: true });
  writeFileSync(join(dir, 'src', 'server.ts'), '');
  writeFileSync(join(dir, 'src', 'db', 'client.ts'), '');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'stale-check', private: true, scripts: { build } }));
}

const writesBundle =
  "node -e \"const f=require('fs');f.mkdirSync('dist',{recursive:true});f.writeFileSync('dist/server.js','');f.appendFileSync('builds.log','x')\"";

describe('npm start (tools/build-if-stale.mjs)', () => {
  beforeEach(() => project(writesBundle));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('When there is no build yet, then it builds', async () => {
    await check();
    expect(builds()).toBe(1);
    expect(existsSync(join(dir, 'dist', 'server.js'))).toBe(true);
  });

  it('When nothing changed since the build, then it does not build again', async () => {
    await check();
    await check();
    expect(builds()).toBe(1);
  });

  it('When a source file is saved after the build, then it builds again', async () => {
    await check();
    age('src/db/client.ts', 10);
    await check();
    expect(builds()).toBe(2);
  });

  it('When a source file is deleted after the build, then it builds again', async () => {
    await check();
    rmSync(join(dir, 'src', 'db', 'client.ts'));
    age('src/db', 10);
    await check();
    expect(builds()).toBe(2);
  });

  it('When the lockfile or the installed packages change after the build, then it builds again', async () => {
    await check();
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    age('package-lock.json', 10);
    await check();
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules', '.package-lock.json'), '{}');
    age('node_modules/.package-lock.json', 20);
    await check();
    expect(builds()).toBe(3);
  });

  it('When the build fails, then it exits with the failure so that the server does not start', async () => {
    rmSync(dir, { recursive: true, force: true });
    project('node -e "process.exit(3)"');
    await expect(check()).rejects.toMatchObject({ code: 3 });
  });
});
