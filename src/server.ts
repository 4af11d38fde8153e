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
void compilePending().then((n) => app.log.debug({ schemas: n }, 'schemas compiled'));
sim.run(seeded);
