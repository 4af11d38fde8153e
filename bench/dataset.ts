// Builds the benchmark database with the seed generator (src/seed/synthetic.ts), in-process,
// before the server starts. Site 0 holds the long history (P5, and most of P8/P9's readings);
// the other sites hold a little recent data, like a fleet whose dashboards poll latest values.
import { randomBytes } from 'node:crypto';
import { hashToken } from '../src/services/auth.js';
import { createBenchUsers, createFleet, writeReadings, type SyntheticSite } from '../src/seed/synthetic.js';
import type { BenchStore } from './store.js';

export interface Plan {
  sites: number;
  /** Days of one-minute history on site 0. */
  longDays: number;
  /** Hours of one-minute history on every other site. */
  recentHours: number;
  streamUsers: number;
  streamsPerUser: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The bench's writers and streams use the technician's sites. */
export const TECH_SITES = 10;
/** Sites in P10's fleet energy answer. */
export const ENERGY_SITES = 50;

const metricIds = (s: SyntheticSite) => s.devices.flatMap((d) => d.metrics.map((m) => m.id));
const metricPks = (s: SyntheticSite) => s.devices.flatMap((d) => d.metrics.map((m) => m.pk));

/** Seeds `store` through its repositories, then closes its seeding connection. */
export async function buildDataset(store: BenchStore, plan: Plan, log: (msg: string) => void) {
  const { repos } = store;
  const sites = await createFleet(repos, { sites: plan.sites, devicesPerSite: 9 });
  const { technician, passwordHash } = await createBenchUsers(repos, sites, TECH_SITES);

  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const started = performance.now();
  let last = 0;
  const progress = (label: string) => (written: number, total: number) => {
    if (performance.now() - last < 5000 && written < total) return;
    last = performance.now();
    log(`seed ${label}: ${Math.round((100 * written) / total)}% of ${total.toLocaleString('en')} readings`);
  };
  let readings = await writeReadings(repos, sites[0].devices, {
    from: now - plan.longDays * DAY,
    to: now + 1,
    stepMs: MINUTE,
    onProgress: progress('site 0'),
  });
  const rest = sites.slice(1).flatMap((s) => s.devices);
  readings += await writeReadings(repos, rest, {
    from: now - plan.recentHours * 3_600_000,
    to: now + 1,
    stepMs: MINUTE,
    onProgress: progress('fleet'),
  });
  const seedMs = performance.now() - started;

  log(`creating ${plan.streamUsers} stream users`);
  // P6: viewers of the technician's sites, each holding as many streams as a user may (10).
  const streamUsers: { token: string; subscriptions: string[] }[] = [];
  for (let u = 0; u < plan.streamUsers; u++) {
    const email = `bench-stream-${u}@sitewatt.test`;
    const user = await repos.users.create({ email, name: `Stream user ${u}`, passwordHash, isAdmin: false }, null);
    for (const s of sites.slice(0, TECH_SITES)) await repos.sites.setMember(s.id, user.id, 'viewer', null);
    const subs = [];
    for (let k = 0; k < plan.streamsPerUser; k++)
      subs.push(
        (await repos.subscriptions.create(user.id, `Site ${k % TECH_SITES}`, metricPks(sites[k % TECH_SITES]))).id,
      );
    // Tokens written directly: signing 100 users in through the API would trip the login rate limit.
    const token = `sw_${randomBytes(32).toString('base64url')}`;
    await repos.tokens.create({
      userId: user.id,
      name: 'bench',
      tokenHash: hashToken(token),
      prefix: token.slice(0, 8),
      expiresAt: null,
    });
    streamUsers.push({ token, subscriptions: subs });
  }
  const yearSubscription = (await repos.subscriptions.create(technician, 'Site 0, everything', metricPks(sites[0]))).id;

  // P10: a viewer of the first ENERGY_SITES sites (site 0's year of history among them) asks for
  // their energy per day over the long window.
  const energyUser = await repos.users.create(
    { email: 'bench-energy@sitewatt.test', name: 'Energy viewer', passwordHash, isAdmin: false },
    null,
  );
  const energySites = sites.slice(0, ENERGY_SITES);
  for (const s of energySites) await repos.sites.setMember(s.id, energyUser.id, 'viewer', null);
  const energyToken = `sw_${randomBytes(32).toString('base64url')}`;
  await repos.tokens.create({
    userId: energyUser.id,
    name: 'bench',
    tokenHash: hashToken(energyToken),
    prefix: energyToken.slice(0, 8),
    expiresAt: null,
  });

  // The running server folds the days ingestion listed within seconds; P8 counts them folded.
  while ((await repos.readings.foldPendingDailies(10_000)) > 0);
  log('measuring storage');
  const storage = await store.storage();
  await store.closeSeed();
  return {
    readings,
    seedMs,
    storage,
    streamUsers,
    yearSubscription,
    energyToken,
    energySites: energySites.length,
    site0: sites[0].id,
    metric0: metricIds(sites[0])[0],
    /** The 200 metrics of the technician's sites: what P4 writes and P6's batch carries. */
    writable: sites.slice(0, TECH_SITES).flatMap(metricIds),
  };
}

export type Dataset = Awaited<ReturnType<typeof buildDataset>>;
