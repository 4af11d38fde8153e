import type { App } from './app.js';
import { seedDemo } from './seed/demo.js';
import { retentionService } from './services/retention.js';
import { simulatorService } from './services/simulator.js';
import { simulatorMqttFeed } from './services/simulator-mqtt.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './time.js';

/** Demo data before listening; the simulator's backfill and ticks after (they do not block start-up). */
export async function prepare(app: App): Promise<{ seeded: boolean }> {
  if (!app.config.demo) return { seeded: false };
  // Nodes booting together on one database: one seeds, the others then find the data there.
  const seeded = await app.cluster.exclusive('seed', () => seedDemo(app.repos, app.config.demoPassword, app.log));
  // The demo credentials are meant to be seen, so that a visitor can sign in; only ever in demo mode.
  if (seeded)
    app.log.info(
      `Demo accounts: admin@example.com, tech@example.com, viewer@example.com (password "${app.config.demoPassword}")`,
    );
  else app.log.info('Demo mode: the database already has data; demo accounts unchanged');
  return { seeded };
}

/**
 * Call before listen (it adds a shutdown hook); `run` after listen. One node of a cluster
 * simulates; the node that takes it over fills the gap since the last simulated reading.
 */
export function simulator(app: App) {
  const sim = simulatorService(app.repos, app.services.readings, app.log);
  const feed = app.config.simulatorTransport === 'mqtt' ? mqttFeed(app) : undefined;
  app.addHook('preClose', async () => {
    sim.stop();
    await feed?.close();
  });
  return {
    run: (seeded: boolean) => {
      if (!app.config.simulator) return;
      let first = true;
      app.cluster.singleton('simulator', {
        start() {
          runSimulator(app, sim, seeded && first, feed?.send);
          first = false;
        },
        stop: () => sim.stop(),
      });
    },
  };
}

/** SIMULATOR=mqtt: the live readings through the built-in broker, on this machine. */
function mqttFeed(app: App) {
  const { host, tls } = app.config.mqtt!;
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return simulatorMqttFeed(
    app.services.ingestKeys,
    {
      url: `${tls ? 'mqtts' : 'mqtt'}://${local.includes(':') ? `[${local}]` : local}:${app.mqtt.port}`,
      secret: app.config.sessionSecret,
      // A connection from this process to its own listening socket: the certificate's names may not
      // include the address it listens on, and there is no one in between to check for.
      connect: tls ? { rejectUnauthorized: false } : {},
    },
    app.log,
  );
}

function runSimulator(
  app: App,
  sim: ReturnType<typeof simulatorService>,
  seeded: boolean,
  send?: Parameters<ReturnType<typeof simulatorService>['start']>[1],
): void {
  void (async () => {
    const now = Date.now();
    const resume = seeded ? null : await sim.resumeFrom();
    // First start: 30 days of history. A restart: fill the gap since the last reading (at most 30 days).
    const days = app.config.simulatorBackfillDays;
    const from = resume === null ? now - days * DAY_MS : Math.max(now - days * DAY_MS, resume + MINUTE_MS);
    if (now - from > MINUTE_MS) await sim.backfill(from, now);
    sim.start(10_000, send);
  })().catch((err: unknown) => app.log.error({ err }, 'simulator failed'));
}

/** Applies the raw-reading retention at start and every hour. Call before listen. */
export function retention(app: App): void {
  if (app.config.retentionDays <= 0) return;
  const service = retentionService(app.repos, app.config.retentionDays);
  const run = () =>
    service
      .apply()
      .then(
        (deleted) =>
          deleted > 0 && app.log.info({ deleted, retentionDays: app.config.retentionDays }, 'old raw readings deleted'),
      )
      .catch((err: unknown) => app.log.warn({ err }, 'retention failed'));
  // On one node of a cluster: at start (of the node that holds it), then every hour.
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () =>
    app.cluster.singleton('retention', {
      start() {
        void run();
        timer = setInterval(run, HOUR_MS).unref();
      },
      stop: () => clearInterval(timer),
    }),
  );
  app.addHook('preClose', async () => clearInterval(timer));
}
