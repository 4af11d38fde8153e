import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { compilePending } from './plugins/app/validation.js';
import { prepare, retention, simulator } from './startup.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const app = await buildApp(config);
const { seeded } = await prepare(app);
const sim = simulator(app);
retention(app);

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an error');
  else app.log.info({ signal }, 'shutting down');
  await app.close();
});

await app.listen({ port: config.port, host: config.host });
// Request schemas compile on first use (fast restarts); compile the rest now, between requests.
// A schema that does not compile is a bug (tests/plugins/serialization.test.ts compiles them all);
// here it is logged, and only its route answers 500.
compilePending().then(
  (n) => app.log.debug({ schemas: n }, 'schemas compiled'),
  (err: unknown) => app.log.error({ err }, 'a route schema does not compile'),
);
sim.run(seeded);
