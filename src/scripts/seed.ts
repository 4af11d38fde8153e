// npm run seed -- --sites N --days D [--devices-per-site K] [--interval-seconds S] [--db PATH] [--seed X]
// Generates a synthetic fleet (src/seed/synthetic.ts); progress and the achieved rate go to stderr.
// Into DATABASE_URL's PostgreSQL database when it is set and --db is not, else the SQLite file.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase } from '../db/client.js';
import { openPgDatabase } from '../db/postgres/client.js';
import { createPgRepositories } from '../db/postgres/repositories/index.js';
import { createRepositories, type Repositories } from '../db/repositories/index.js';
import { BENCH_ADMIN, BENCH_PASSWORD, BENCH_TECH, seedSynthetic } from '../seed/synthetic.js';

const USAGE =
  'usage: npm run seed -- --sites N --days D [--devices-per-site K=9] [--interval-seconds S=60] [--db PATH] [--seed X=42]';

function positive(name: string, raw: string | undefined, fallback?: number): number {
  const n = raw === undefined ? fallback : Number(raw);
  if (n === undefined || !Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

function parse() {
  try {
    return parseArgs({
      options: {
        sites: { type: 'string' },
        days: { type: 'string' },
        'devices-per-site': { type: 'string' },
        'interval-seconds': { type: 'string' },
        db: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    // An unknown option, or a value that looks like one ("--days -1"): the reason and the usage, no stack.
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const values = parse();
if (values.help) {
  console.error(USAGE);
  process.exit(0);
}
const sites = Math.floor(positive('sites', values.sites));
const days = positive('days', values.days);
// Readings are stored from 1970 on: more days than that would be refused half-way.
if (days > 20_000) {
  console.error(`--days must be at most 20000 (readings start in 1970)\n${USAGE}`);
  process.exit(2);
}
const devicesPerSite = Math.max(1, Math.floor(positive('devices-per-site', values['devices-per-site'], 9)));
const intervalSeconds = Math.max(1, positive('interval-seconds', values['interval-seconds'], 60));

let path = values.db;
let postgres: Config['postgres'] = null;
try {
  const config = loadConfig();
  if (path === undefined) postgres = config.postgres;
  path ??= config.databasePath;
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

// The migrations are applied on opening, either way, so a fresh database can be seeded.
const pg = postgres ? await openPgDatabase(postgres) : null;
const db = pg ? null : openDatabase(path);
const repos: Repositories = pg ? createPgRepositories(pg) : createRepositories(db!);
const target = postgres ? 'the PostgreSQL database of DATABASE_URL' : path;
const started = Date.now();
let lastReport = 0;
const { readings } = await seedSynthetic(repos, {
  sites,
  days,
  devicesPerSite,
  intervalSeconds,
  seed: positive('seed', values.seed, 42),
  onProgress(written, total) {
    if (Date.now() - lastReport < 1000 && written < total) return;
    lastReport = Date.now();
    const s = (Date.now() - started) / 1000;
    console.error(
      `seed: ${((100 * written) / Math.max(1, total)).toFixed(0)}%  ${written.toLocaleString('en')} / ${total.toLocaleString('en')} readings  ${Math.round(written / s).toLocaleString('en')}/s`,
    );
  },
});
if (pg) await pg.$client.end();
else {
  db!.$client.pragma('wal_checkpoint(TRUNCATE)');
  db!.$client.close();
}
const s = (Date.now() - started) / 1000;
console.error(
  `seed: ${sites} sites, ${sites * devicesPerSite} devices, ${readings.toLocaleString('en')} readings in ${s.toFixed(1)} s (${Math.round(readings / s).toLocaleString('en')} readings/s) into ${target}`,
);
console.error(
  `seed: sign in as ${BENCH_ADMIN} (admin) or ${BENCH_TECH} (technician, first 10 sites), password "${BENCH_PASSWORD}"`,
);
