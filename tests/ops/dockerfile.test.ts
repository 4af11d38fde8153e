// No Docker engine runs on our machines, so this test reads the Dockerfile and performs its steps
// in a temporary folder: the COPY lines, the RUN lines (npm ci stands in as a link to our
// node_modules, npm prune as a farm of production packages only), then the runtime stage's CMD
// with its ENV. It follows the Dockerfile, so a changed build command or CMD is what runs here;
// a RUN it does not know fails the test rather than being skipped silently.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const REPO = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

interface Stage {
  name: string;
  workdir: string;
  dir: string;
  env: Record<string, string>;
  lines: [string, string][];
}

/** Instructions per stage, continuation lines joined, comments dropped; ARG defaults substituted. */
function parseDockerfile(text: string): Stage[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of joined
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [, op = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const value = rest.replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? '');
    if (op.toUpperCase() === 'ARG' && stages.length === 0) {
      const [k, v = ''] = value.split('=');
      args[k] = v;
    } else if (op.toUpperCase() === 'FROM') {
      stages.push({
        name: /\bAS\s+(\S+)/i.exec(value)?.[1] ?? String(stages.length),
        workdir: '/',
        dir: '',
        env: {},
        lines: [],
      });
    } else stages.at(-1)!.lines.push([op.toUpperCase(), value]);
  }
  return stages;
}

const envPairs = (s: string) =>
  Object.fromEntries(
    [...s.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map(([, k, v]) => [k, v.replace(/^"(.*)"$/, '$1')]),
  );
const lines = (stage: Stage, op: string) => stage.lines.filter(([o]) => o === op).map(([, v]) => v);
const execForm = (v: string): string[] => (v.startsWith('[') ? (JSON.parse(v) as string[]) : ['sh', '-c', v]);

/** `npm prune --omit=dev`: links only the packages the lockfile does not mark dev-only. */
function productionFarm(stageDir: string) {
  const lock = JSON.parse(readFileSync(join(stageDir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  rmSync(join(stageDir, 'node_modules'));
  for (const [key, meta] of Object.entries(lock.packages)) {
    const name = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key)?.[1];
    if (!name || meta.dev || !existsSync(join(REPO, 'node_modules', name))) continue;
    mkdirSync(dirname(join(stageDir, 'node_modules', name)), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', name), join(stageDir, 'node_modules', name));
  }
}

/** Performs one RUN's commands (split on &&) in the stage folder, or says why it can be skipped. */
async function perform(stage: Stage, command: string, cleanEnv: Record<string, string>, done: string[]) {
  for (const cmd of command.split('&&').map((c) => c.trim())) {
    if (/^(apt-get|rm -rf \/var\/lib\/apt)/.test(cmd)) continue; // the host has its own toolchain
    if (/^(mkdir -p|chown \S+) \/(?!app\b)\S+$/.test(cmd)) continue; // image folders outside the app (/data)
    if (/^npm ci\b/.test(cmd)) {
      expect(existsSync(join(stage.dir, 'package-lock.json')), 'npm ci needs the lockfile copied first').toBe(true);
      symlinkSync(join(REPO, 'node_modules'), join(stage.dir, 'node_modules'));
    } else if (/^npm prune --omit=dev\b/.test(cmd)) productionFarm(stage.dir);
    else if (/^(npm run|npx|node) /.test(cmd)) {
      await run('sh', ['-c', cmd], { cwd: stage.dir, env: { ...cleanEnv, ...stage.env }, maxBuffer: 1 << 24 }).catch(
        (err: { stdout?: string; stderr?: string }) => {
          throw new Error(`RUN ${cmd} failed in ${stage.name}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
        },
      );
    } else throw new Error(`tests/ops/dockerfile.test.ts cannot perform "RUN ${cmd}" outside Docker: teach it how`);
    done.push(cmd);
  }
}

function copy(stages: Stage[], stage: Stage, value: string, ignored: Set<string>) {
  const words = value.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice(7);
  const paths = words.filter((w) => !w.startsWith('--'));
  const dest = join(stage.dir, posix.relative(stage.workdir, posix.resolve(stage.workdir, paths.pop()!)));
  for (const src of paths) {
    let source: string;
    if (from) {
      const origin = stages.find((s) => s.name === from)!;
      source = join(origin.dir, posix.relative(origin.workdir, src));
    } else {
      expect(ignored.has(src.split('/')[0]), `COPY ${src} is excluded by .dockerignore`).toBe(false);
      source = join(REPO, src);
    }
    const target = paths.length > 1 || value.endsWith('/') ? join(dest, basename(src)) : dest;
    mkdirSync(dirname(target), { recursive: true });
    if (lstatSync(source).isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else cpSync(source, target, { recursive: statSync(source).isDirectory(), verbatimSymlinks: true });
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('Dockerfile', () => {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const stages = parseDockerfile(text);
  const runtime = stages.at(-1)!;
  const ignored = new Set(
    readFileSync(join(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
  const imageEnv = Object.assign({}, ...lines(runtime, 'ENV').map(envPairs)) as Record<string, string>;
  const cmd = execForm(lines(runtime, 'CMD').at(-1)!);
  const root = mkdtempSync(join(tmpdir(), 'sitewatt-docker-'));
  const performed: string[] = [];
  let server: ChildProcess | undefined;
  let output = '';
  let base = '';
  let env: Record<string, string> = {};

  beforeAll(async () => {
    const cleanEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root };
    for (const stage of stages) {
      stage.dir = join(root, stage.name);
      mkdirSync(stage.dir, { recursive: true });
      for (const [op, value] of stage.lines) {
        if (op === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, value);
        else if (op === 'ENV') Object.assign(stage.env, envPairs(value));
        else if (op === 'COPY') copy(stages, stage, value, ignored);
        else if (op === 'RUN') await perform(stage, value, cleanEnv, performed);
      }
    }
    const port = await freePort();
    // The image's environment, with a free port, a temporary database and a secret (production needs one).
    env = {
      ...cleanEnv,
      ...imageEnv,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: join(root, 'data', 'sitewatt.db'),
      SESSION_SECRET: randomBytes(32).toString('hex'),
      MAX_EVENT_LOOP_DELAY_MS: '0',
    };
    base = `http://127.0.0.1:${port}`;
    server = spawn(cmd[0] === 'node' ? process.execPath : cmd[0], cmd.slice(1), {
      cwd: runtime.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (d: Buffer) => (output += d));
    server.stderr!.on('data', (d: Buffer) => (output += d));
    for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 200))) {
      if (server.exitCode !== null || Date.now() > deadline)
        throw new Error(`The runtime CMD did not serve /healthz:\n${output}`);
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
    }
  }, 300_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('When it is read, then it is a multi-stage build whose runtime runs as a non-root user with a volume and a health check', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(lines(runtime, 'COPY').some((c) => c.includes(`--from=${stages[0].name}`))).toBe(true);
    expect(lines(runtime, 'USER').at(-1)).toMatch(/^(?!root\b|0\b)\S+/);
    expect(lines(runtime, 'VOLUME').join(' ')).toContain(posix.dirname(imageEnv.DATABASE_PATH));
    expect(lines(runtime, 'HEALTHCHECK').at(-1)).toMatch(/\/healthz/);
    expect(imageEnv).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    expect(lines(runtime, 'EXPOSE')).toContain(imageEnv.PORT);
    // npm start's prestart checks the build against sources the image does not hold, and npm does
    // not pass SIGTERM on reliably.
    expect(cmd[0]).not.toBe('npm');
  });

  it('When the build stage runs, then it installs, builds and prunes the dev dependencies', () => {
    expect(performed.some((c) => /^npm ci\b/.test(c))).toBe(true);
    expect(performed).toContain('npm run build');
    expect(performed.some((c) => /^npm prune --omit=dev\b/.test(c))).toBe(true);
    expect(existsSync(join(runtime.dir, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(runtime.dir, 'src')), 'the runtime stage holds no TypeScript sources').toBe(false);
    expect(existsSync(join(runtime.dir, 'tools')), 'the runtime stage holds no build or test tools').toBe(false);
    const shipped = readdirSync(join(runtime.dir, 'dist'), { recursive: true }).map(String);
    for (const tool of ['crash', 'fuzz', 'bundle'])
      expect(
        shipped.filter((f) => basename(f).startsWith(`${tool}.`)),
        `dist/ ships tools/${tool}.ts`,
      ).toEqual([]);
  });

  it('When .dockerignore is read, then local state and build output stay out of the context', () => {
    for (const name of ['node_modules', 'dist', 'data', '.git', 'test-results', 'bench/results', '.env'])
      expect(ignored).toContain(name);
  });

  it('When the runtime CMD starts with the image environment, then GET /healthz answers 200', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('When the runtime server has run a moment on its database file, then its WAL checkpoint worker started without error', async () => {
    // The worker resolves better-sqlite3 from the bundle in dist/; a failure is only logged.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(output).not.toContain('WAL checkpoint worker failed');
  });

  it('When the HEALTHCHECK command runs in the container folder, then it exits 0', async () => {
    const check = lines(runtime, 'HEALTHCHECK')
      .at(-1)!
      .replace(/^.*?\bCMD\s+/, '');
    const [bin, ...rest] = execForm(check);
    await expect(run(bin === 'node' ? process.execPath : bin, rest, { cwd: runtime.dir, env })).resolves.toBeDefined();
  });

  it('When a person opens the login page, then templates, assets and pinned vendor builds are in the image', async () => {
    for (const path of ['/login', '/assets/app.css', '/assets/vendor/htmx/htmx.min.js']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(200);
    }
  });

  it('When docker-compose.yml is read, then its environment passes production config checks with demo data on port 3000 and MQTT on 1883', () => {
    const compose = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/["']?3000:3000["']?/);
    expect(compose).toMatch(/["']?1883:1883["']?/);
    expect(compose).toMatch(/-\s*(\S+):\/data\b[\s\S]*^volumes:\s*\n\s+\1:/m);
    const composeEnv = Object.fromEntries(
      [...compose.matchAll(/^\s+([A-Z_]+):\s*(["'])\$\{\w+:-([^}]*)\}\2/gm)].map(([, k, , v]) => [k, v]),
    );
    const config = loadConfig({ ...imageEnv, ...composeEnv, DATABASE_PATH: join(root, 'compose', 'sitewatt.db') });
    expect(config).toMatchObject({ env: 'production', demo: true, port: 3000, host: '0.0.0.0' });
    expect(config.mqtt).toMatchObject({ port: 1883, host: '0.0.0.0' });
  });

  // No Docker engine here: this proves only that the postgres profile's replicas pass the config
  // checks with one shared database and secret, not that the images start or the proxy balances
  // (tests/cluster/cluster.test.ts runs two real nodes on PostgreSQL without containers).
  it('When the postgres profile of docker-compose.yml is read, then both replicas share one DATABASE_URL and SESSION_SECRET that production config accepts', () => {
    const compose = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8');
    const block = /environment: &replica-env\n((?:\s{6}.*\n)+)/.exec(compose)![1];
    const replicaEnv = Object.fromEntries(
      [...block.matchAll(/^\s+([A-Z_]+):\s*'?([^'\n]*)'?$/gm)].map(([, k, v]) => [k, v]),
    );
    expect(compose).toMatch(/sitewatt-b:\n\s+<<: \*replica\n\s+environment: \*replica-env/);
    const config = loadConfig({ ...imageEnv, ...replicaEnv });
    expect(config.postgres?.url).toBe('postgres://sitewatt:change-me@postgres:5432/sitewatt');
    expect(config).toMatchObject({ env: 'production', demo: true, sessionSecret: replicaEnv.SESSION_SECRET });
  });
});
