// Child processes of the bench: the real server and the bare-route baseline. Every child is
// tracked so `killAll` (called in `finally` and on SIGINT) leaves nothing running.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
const children = new Set<ChildProcess>();

export interface Child {
  proc: ChildProcess;
  port: number;
  url: string;
  /** ms from spawn until the health URL answered 200. */
  readyMs: number;
}

/** A port that was free a moment ago (the child binds it; loopback only). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Spawns `node args…` with env and polls `healthPath` every 5 ms until it answers 200; its port is none of `avoid`. */
export async function startChild(
  args: string[],
  /** Added to the bench's own environment; an undefined value removes the variable. */
  env: Record<string, string | undefined>,
  healthPath: string,
  logFile: string,
  timeoutMs = 60_000,
  avoid: number[] = [],
): Promise<Child> {
  let port = await freePort();
  while (avoid.includes(port)) port = await freePort();
  const started = performance.now();
  const log = createWriteStream(logFile, { flags: 'a' });
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);
  proc.on('exit', () => children.delete(proc));
  const url = `http://127.0.0.1:${port}`;
  while ((await httpStatus(url + healthPath)) !== 200) {
    if (proc.exitCode !== null || performance.now() - started > timeoutMs) {
      await stopChild(proc);
      throw new Error(
        `${args.join(' ')} did not become healthy; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { proc, port, url, readyMs: performance.now() - started };
}

/** SIGTERM (graceful close), SIGKILL after 10 s. */
export function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

export async function killAll(): Promise<void> {
  await Promise.all([...children].map(stopChild));
}

/** Resident memory of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}
