// The real server on a file database for the crash harnesses (tools/crash.ts, tools/crash-mqtt.ts)
// and the shutdown test: started through tsx, seeded with a technician, a token, a battery and an
// ingest key.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase } from '../src/db/client.js';
import { createRepositories } from '../src/db/repositories/index.js';
import { defaultMetricsFor } from '../src/domain/device-types.js';
import { projectRoot } from '../src/paths.js';
import { hashToken } from '../src/services/auth.js';
import { hashPassword } from '../src/services/passwords.js';

export interface Server {
  child: ChildProcess;
  base: string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** Starts `src/server.ts` (through tsx) on the database file; resolves once it listens. */
export async function startServer(
  databasePath: string,
  timeoutMs = 20_000,
  extraEnv: Record<string, string> = {},
): Promise<Server> {
  const root = projectRoot();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/server.ts')], {
    cwd: root,
    // Only what the server needs: the harness reads no environment, and the child inherits none.
    // Load shedding off: on a starved CI machine the child's event loop lags, and a 503 is not what is tested here.
    env: {
      DATABASE_PATH: databasePath,
      DEMO: 'false',
      SIMULATOR: 'off',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      NODE_ENV: 'development',
      MAX_EVENT_LOOP_DELAY_MS: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not listen within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  return { child, base, exited, output: () => out };
}

export interface Seeded {
  token: string;
  metricIds: string[];
  /** A site ingest key (MQTT username) and the battery's id and metric keys, for the MQTT rounds. */
  ingestKey: string;
  deviceId: string;
  metricKeys: string[];
}

/** A technician with a token on a site with a battery, written straight into a fresh database file. */
export async function seed(databasePath: string): Promise<Seeded> {
  const db = openDatabase(databasePath);
  try {
    const repos = createRepositories(db);
    const site = await repos.sites.create(
      { name: 'Crash Site', description: '', latitude: null, longitude: null, timezone: 'UTC' },
      null,
    );
    const user = await repos.users.create(
      {
        email: 'crash-tech@example.com',
        name: 'Crash Tech',
        passwordHash: await hashPassword(randomBytes(16).toString('hex')),
        isAdmin: false,
      },
      null,
    );
    await repos.sites.setMember(site.id, user.id, 'technician', null);
    const { device, metrics } = await repos.devices.create(
      site.id,
      { name: 'Battery', type: 'battery', manufacturer: null, model: null, serialNumber: null },
      defaultMetricsFor('battery'),
      null,
    );
    const token = `sw_${randomBytes(32).toString('base64url')}`;
    await repos.tokens.create({
      userId: user.id,
      name: 'crash',
      tokenHash: hashToken(token),
      prefix: token.slice(0, 8),
      expiresAt: null,
    });
    const ingestKey = `swi_${randomBytes(32).toString('base64url')}`;
    await repos.ingestKeys.create({
      siteId: site.id,
      deviceId: null,
      name: 'crash',
      keyHash: hashToken(ingestKey),
      prefix: ingestKey.slice(0, 10),
      createdBy: user.id,
    });
    return {
      token,
      metricIds: metrics.map((m) => m.id),
      ingestKey,
      deviceId: device.id,
      metricKeys: metrics.map((m) => m.key),
    };
  } finally {
    db.$client.close();
  }
}
