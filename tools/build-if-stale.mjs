// `npm start`'s prestart: runs `npm run build` only when dist/server.js is missing or older than
// something it is built from, so restarting an unchanged checkout skips the type check and the
// bundle. Plain JavaScript with no dependencies, run by node directly: the check itself must cost
// next to nothing. Views, assets and migrations are read at run time, so they are not inputs.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'dist', 'server.js');

// Folders count with their own mtime too: adding, removing or renaming a file changes it.
const inputFolders = ['src', 'tools'];
// node_modules/.package-lock.json is rewritten by every install (npm ci too, which leaves
// package-lock.json alone); the bundle holds TypeBox, so a new install means a new bundle.
const inputFiles = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'node_modules/.package-lock.json',
];

const mtime = (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;

function newestIn(folder) {
  let newest = mtime(folder);
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : mtime(path));
  }
  return newest;
}

const built = mtime(output);
const newestInput = Math.max(
  ...inputFolders.map((f) => newestIn(join(root, f))),
  ...inputFiles.map((f) => mtime(join(root, f))),
);

if (built > 0 && built >= newestInput) process.exit(0);

console.log(built > 0 ? 'Sources changed since the last build: building.' : 'No build yet: building.');
const started = new Date();
// Under npm, npm_execpath is the npm that runs us: the same one builds, whatever is on PATH.
const npm = process.env.npm_execpath;
const result = npm?.endsWith('.js')
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status !== 0) process.exit(result.status ?? 1);
// The output is dated from the build's start: a source saved while the build ran is newer, so the
// next start builds again rather than running a bundle that may have missed it.
utimesSync(output, started, started);
